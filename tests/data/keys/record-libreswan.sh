#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Records a libreswan (pluto 4.10) PSK exchange between two network namespaces
# (kswi 192.0.2.1, kswr 192.0.2.2) with plutodebug="all crypt private", for
# tests/test_keys_converter.py. Run as root: record-libreswan.sh [ikev2|ikev1] [OUTDIR]
#
# libreswan is not installed: it runs from a private prefix made with
#   apt-get download libreswan libldns3 libevent-pthreads-2.1-7 libnss3-tools
#   for f in *.deb; do dpkg -x "$f" "$LIBRESWAN_ROOT"; done
# pluto runs /usr/libexec/ipsec/addconn, so each pluto gets a private mount
# namespace in which the prefix's libexec/ipsec is bind-mounted there.
# This kernel has no XFRM: the IKE SA is established, the Child SA install
# fails (the peer gets TS_UNACCEPTABLE); the IKE and ESP keys are logged before.
# Outputs: OUTDIR/pluto-initiator.log, pluto-responder.log, initiator.pcap.
set -eu
VERSION=${1:-ikev2}
R=${LIBRESWAN_ROOT:-/tmp/lsw/root}
L=$R/usr/lib/x86_64-linux-gnu
W=${2:-/tmp/lsw/lab}/$VERSION
rm -rf $W; mkdir -p $W
export LD_LIBRARY_PATH=$L
for ns in kswi kswr; do ip netns del $ns 2>/dev/null || true; ip netns add $ns; done
ip link add kswi0 type veth peer name kswr0
ip link set kswi0 netns kswi; ip link set kswr0 netns kswr
ip -n kswi addr add 192.0.2.1/24 dev kswi0; ip -n kswr addr add 192.0.2.2/24 dev kswr0
for ns in kswi kswr; do ip -n $ns link set lo up; ip -n $ns link set ${ns}0 up; done
if [ "$VERSION" = ikev2 ]; then IKEV2=yes; else IKEV2=no; fi
for side in i r; do
  D=$W/$side; mkdir -p $D/run $D/nss
  if [ $side = i ]; then left=192.0.2.1; right=192.0.2.2; lid=@west.lsw.test; rid=@east.lsw.test; ls=10.1.0.0/24; rs=10.2.0.0/24
  else left=192.0.2.2; right=192.0.2.1; lid=@east.lsw.test; rid=@west.lsw.test; ls=10.2.0.0/24; rs=10.1.0.0/24; fi
  cat > $D/ipsec.conf <<CONF
config setup
	plutodebug="all crypt private"
	logtime=yes
	logappend=no
	ikev1-policy=accept
conn lab
	left=$left
	right=$right
	leftid=$lid
	rightid=$rid
	leftsubnet=$ls
	rightsubnet=$rs
	authby=secret
	ikev2=$IKEV2
	ike=aes256-sha2_256;modp2048
	esp=aes256-sha2_256
	auto=add
CONF
  printf '@west.lsw.test @east.lsw.test : PSK "lsw-lab-psk-DO-NOT-USE"\n' > $D/ipsec.secrets
  chmod 600 $D/ipsec.secrets
  $R/usr/bin/certutil -N -d sql:$D/nss --empty-password
done
ip netns exec kswi tcpdump -i kswi0 -w $W/initiator.pcap -U udp >/dev/null 2>&1 & TCPDUMP=$!
sleep 1
for side in i r; do
  D=$W/$side; ns=ksw$side
  # pluto runs /usr/libexec/ipsec/addconn: a private mount namespace shows it ours
  ip netns exec $ns unshare -m sh -c "mount -t tmpfs none /usr/libexec && mkdir /usr/libexec/ipsec && mount --bind $R/usr/libexec/ipsec /usr/libexec/ipsec && exec \"\$0\" \"\$@\"" $R/usr/libexec/ipsec/pluto --nofork --config $D/ipsec.conf --rundir $D/run \
    --nssdir $D/nss --secretsfile $D/ipsec.secrets --ipsecdir $D --logfile $D/pluto.log \
    --virtual-private %v4:10.0.0.0/8 >$D/stdout 2>&1 &
  echo $! > $D/pid
done
sleep 3
ip netns exec kswi $R/usr/libexec/ipsec/whack --ctlsocket $W/i/run/pluto.ctl --name lab --initiate >$W/whack.out 2>&1 || true
sleep 4
for side in i r; do kill $(cat $W/$side/pid) 2>/dev/null || true; done
sleep 1; kill $TCPDUMP 2>/dev/null || true
for ns in kswi kswr; do ip netns del $ns 2>/dev/null || true; done
cp $W/i/pluto.log $W/pluto-initiator.log; cp $W/r/pluto.log $W/pluto-responder.log
echo done
