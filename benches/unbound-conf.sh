# Sourced by the benchmark scripts: one Unbound configuration for all of
# them, so their Unbound figures are measured alike.
# unbound_conf FILE WORKDIR PORT THREADS LABDIR [CONTROL]: write FILE for
# Unbound listening on 127.0.0.1@PORT with THREADS threads, iterating from
# the lab's root hints and validating with its trust anchor (the lab must
# listen on port 53: Unbound only iterates to port 53). With CONTROL, a
# Unix socket for unbound-control and extended statistics.
unbound_conf() {
  local control="control-enable: no"
  [ -n "${6:-}" ] && control="control-enable: yes
  control-interface: $6
  control-use-cert: no
server:
  extended-statistics: yes"
  cat > "$1" <<CONF
server:
  interface: 127.0.0.1@$3
  num-threads: $4
  so-reuseport: yes
  do-not-query-localhost: no
  local-zone: "test." nodefault
  root-hints: "$5/root.hints"
  trust-anchor-file: "$5/root.key"
  chroot: ""
  username: ""
  directory: "$2"
  pidfile: "$2/unbound.pid"
  access-control: 127.0.0.0/8 allow
  msg-cache-size: 256m
  rrset-cache-size: 512m
  use-syslog: no
  verbosity: 0
remote-control:
  $control
CONF
}
