/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the plugin entry points Wireshark 4.0 looks for when it loads
 * a plugin library.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/proto.h>

#include "ipsecdiag-glue.h"

#ifndef IPSECDIAG_VERSION
#define IPSECDIAG_VERSION "0.0.0"
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = IPSECDIAG_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void plugin_register(void)
{
  static proto_plugin plugin;
  plugin.register_protoinfo = proto_register_ipsecdiag;
  plugin.register_handoff = proto_reg_handoff_ipsecdiag;
  proto_register_plugin(&plugin);
}
