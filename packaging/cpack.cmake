# SPDX-License-Identifier: GPL-2.0-or-later
# CPack settings for the Debian package of ipsecdiag (`cpack -G DEB` in the
# build directory); included at the end of the top-level CMakeLists.txt.
#
# Build packages with -DCMAKE_INSTALL_PREFIX=/usr. The package holds exactly
# what `cmake --install` installs: the plugin goes to Wireshark's absolute
# plugin directory and the rules to ${CMAKE_INSTALL_FULL_DATADIR}, the path
# compiled into the plugin (IPSECDIAG_RULES_DIR). Relocating the files at
# packaging time would break that link, so with another prefix the package
# keeps that prefix (e.g. /usr/local, which Debian packages must not use).

if(NOT CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  return()  # built as part of another project: leave packaging to it
endif()

if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "ipsecdiag: packages should be built with -DCMAKE_INSTALL_PREFIX=/usr "
                 "(now ${CMAKE_INSTALL_PREFIX})")
endif()
if(IPSECDIAG_USER_INSTALL)
  message(STATUS "ipsecdiag: IPSECDIAG_USER_INSTALL puts home directory paths into packages")
endif()

# Debian wants a copyright file for every package. Not for user installs,
# whose prefix may not be writable.
if(NOT IPSECDIAG_USER_INSTALL)
  set(IPSECDIAG_COPYRIGHT_FILE "${PROJECT_BINARY_DIR}/packaging/copyright")
  file(WRITE "${IPSECDIAG_COPYRIGHT_FILE}"
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
    "Upstream-Name: ipsecdiag\n"
    "\n"
    "Files: *\n"
    "Copyright: ipsecdiag developers\n"
    "License: GPL-2.0-or-later\n"
    " On Debian systems, the full text of the GNU General Public License\n"
    " version 2 can be found in /usr/share/common-licenses/GPL-2.\n")
  install(FILES "${IPSECDIAG_COPYRIGHT_FILE}"
          DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT plugin)
endif()

set(CPACK_PACKAGE_NAME "ipsecdiag")
set(CPACK_PACKAGE_VENDOR "ipsecdiag developers")
set(CPACK_PACKAGE_CONTACT "ipsecdiag developers")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Wireshark plugin that diagnoses IPsec VPN failures")
set(CPACK_PACKAGE_DESCRIPTION
    "ipsecdiag is a Wireshark 4.0 post-dissector that follows IKE negotiations
and ESP traffic and explains why an IPsec VPN fails: unanswered messages,
refused proposals, authentication and NAT problems. Its findings appear as
expert information; their texts come from a rules catalog that sites can
override.")
set(CPACK_RPM_PACKAGE_LICENSE "GPL-2.0-or-later")
set(CPACK_GENERATOR "DEB")

# Absolute install destinations (the Wireshark plugin directory) are only
# packaged correctly through DESTDIR; the packaging prefix is then the
# configured one, which keeps the rules where the plugin looks for them.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # ipsecdiag_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "ipsecdiag developers")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_ENHANCES "wireshark, tshark")

# A plugin only loads into the Wireshark release it was built for (4.0.x),
# whatever dpkg-shlibdeps computes from the symbols it uses. libwireshark16
# is the Debian package of libwireshark.so.16, the 4.0 ABI.
set(IPSECDIAG_WIRESHARK_DEPENDS "libwireshark16 (>= 4.0), libwireshark16 (<< 4.1)")
find_program(IPSECDIAG_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(IPSECDIAG_DPKG_SHLIBDEPS)
  # Appended by CPack to the libraries dpkg-shlibdeps finds.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${IPSECDIAG_WIRESHARK_DEPENDS}")
else()
  message(STATUS "ipsecdiag: dpkg-shlibdeps not found (package dpkg-dev); "
                 "the package gets a fixed Depends list")
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, libglib2.0-0, libgcrypt20, libwsutil14, ${IPSECDIAG_WIRESHARK_DEPENDS}")
endif()

set(CPACK_SOURCE_GENERATOR "TGZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "~$")

include(CPack)
