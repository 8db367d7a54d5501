// Package network gives the Docker-style front's containers their
// networks: a network namespace that outlives any one process, the CNI
// plugins the field uses (Debian's containernetworking-plugins: bridge,
// host-local, portmap, tuning) driven through libcni, each network's own
// NAT and forwarding rules (rules.go), the
// published ports, and the files a container reads to find its peers and
// resolvers (/etc/hosts, /etc/resolv.conf).
//
// Everything it keeps lives under one directory, the image store's
// networks/: the networks' own records, the CNI plugins' IPAM leases and
// result cache, and each network's member list. Nothing goes to
// /etc/cni or /var/lib/cni, so removing the store removes every trace.
//
// Names on user networks work without a DNS daemon: each member's
// /etc/hosts is rewritten when a container joins or leaves (nerdctl's
// choice). minirun has no daemon to run a resolver in, and a resolver
// per container would cost a process and a socket for a file's job; the
// price is that a name is only as fresh as the last join or leave, which
// is exactly when names change.
package network
