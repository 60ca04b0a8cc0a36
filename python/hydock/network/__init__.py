"""Container networking: bridge networks and their IPAM, veth plumbing in pinned network namespaces, NAT and filter
rules, published ports, and the embedded DNS server.

Kept light: the CLI imports `port_specs` from here, so nothing heavy (pyroute2) is imported at package level.
"""
