#!/usr/bin/env bats
# make-captures.bats - (re)make the small captures committed under
# tests/pcap/ from real traffic: nginx -> php-fpm over TCP, captured on lo
# with tcpdump.  Not part of make check (the golden files were made from
# these very bytes); run by hand when a capture is to change:
#
#   BATS_LIB_PATH=/usr/lib/bats bats tests/pcap/make-captures.bats
#
# then review the new output with tests/pcap/run.sh --update.

load ../cli/test_helper
load ../interop/peers
load capture

setup() {
	peers_init
	capture_setup
}

teardown() {
	stop_peers
}

# make NAME v4|v6 keep|close [http]: run the small scenario and keep the
# capture as tests/pcap/NAME.pcap.
make() {
	local filter="tcp port $APP_PORT"
	[ "${4:-}" = http ] && filter="tcp port $APP_PORT or tcp port $NGINX_PORT"
	start_tcpdump "$PEER_DIR/$1.pcap" $filter
	run -0 small_scenario
	assert_output "$(printf '200\n200\n200\n200\n404\n502')"
	stop_tcpdump
	cp "$PEER_DIR/$1.pcap" "$TOP/tests/pcap/$1.pcap"
}

@test "nginx keepalive pool to php-fpm over IPv4" {
	start_stack v4 keep
	make nginx-keep-v4 v4 keep
}

@test "nginx to php-fpm over IPv6, a connection per request, with HTTP" {
	start_stack v6 close
	make nginx-close-v6 v6 close http
}
