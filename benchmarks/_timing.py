"""Shared by the transport benchmarks: the speed/efficiency table of timed runs (mcdose.bench.timing)."""
from mcdose.bench.timing import cpu_model



def print_table(rows: list, egsnrc_efficiency: float) -> None:
    """The speed table, the efficiency beside EGSnrc's (one core) and the speed-up of the last row."""
    print(f"{'threads':>8}{'histories':>12}{'time s':>9}{'hist/s':>11}{'s %':>8}{'1/(s2 T) per core':>20}")
    for r in rows:
        print(f"{r.threads:>8}{r.histories:>12,}{r.transport_s:>9.2f}{r.rate:>11,.0f}"
              f"{100 * r.s:>8.3f}{r.efficiency:>20,.0f}")
    print(f"EGSnrc DOSRZnrc, one core: 1/(s2 T) = {egsnrc_efficiency:.0f} /s  "
          f"(mcdose/EGSnrc: {rows[0].efficiency / egsnrc_efficiency:.2g} x)")
    speedup = rows[-1].rate / rows[0].rate
    print(f"speed-up on {rows[-1].threads} threads: {speedup:.2f} "
          f"(parallel efficiency {speedup * rows[0].threads / rows[-1].threads:.2f})")
    for r in rows:
        to_1_percent = r.transport_s * (r.s / 0.01) ** 2
        print(f"time to 1 % in the reference voxel on {r.threads} thread(s): {to_1_percent:,.1f} s "
              f"(EGSnrc, one core: {1.0 / (1e-4 * egsnrc_efficiency):,.0f} s)")
    print(f"CPU: {cpu_model()}")
