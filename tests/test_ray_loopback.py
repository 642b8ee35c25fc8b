"""A local run's Ray listens on loopback only (Ray has no authentication: a port on another interface lets anyone
who reaches the machine run code in the cluster)."""
import ipaddress
import os

import psutil
import pytest

from recbole_ganrs.benchmark.runner import start_ray


def listening(pids):
    """(process name, address, port) of every listening TCP socket of ``pids``."""
    found = []
    for conn in psutil.net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
            found.append((psutil.Process(conn.pid).name(), conn.laddr.ip, conn.laddr.port))
    return found


def is_loopback(ip):
    """127.0.0.0/8 or ::1, also as an IPv4-mapped IPv6 address (::ffff:127.0.0.1: gRPC's dual-stack sockets)."""
    address = ipaddress.ip_address(ip)
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback


@pytest.mark.slow
def test_a_local_ray_listens_on_loopback_only():
    import ray

    if ray.is_initialized():
        ray.shutdown()  # another test's instance: this one must be started here, as a run starts it
    start_ray(cpus=1)
    try:
        @ray.remote
        class Probe:  # an actor: a worker process with its own gRPC server
            def pid(self):
                return os.getpid()

        probe = Probe.remote()
        worker = ray.get(probe.pid.remote())
        ray_pids = {p.pid for p in psutil.Process().children(recursive=True)} | {os.getpid()}
        sockets = listening(ray_pids)
        print("\n".join(f"{name} {ip}:{port}" for name, ip, port in sorted(sockets)))
        assert worker in ray_pids and any(ip for _, ip, _ in sockets)  # the listing sees Ray's processes
        assert {"gcs_server", "raylet"} <= {name for name, _, _ in sockets}
        exposed = [s for s in sockets if not is_loopback(s[1])]
        assert not exposed, f"listening beyond loopback: {exposed}"
    finally:
        ray.shutdown()
