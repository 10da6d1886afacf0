"""OpenFisca side of the policy benchmark (bench/src/bin/policy.rs starts it).

Reads the population written by the Rust side (bench/out/policy-pop-N/*.npy + meta.json) and the
tax-benefit system generated from the same rule files (lianshi_demo.py), then times:

  build     SimulationBuilder.build_default_simulation + set_input of every input variable
  calculate calculate() of every policy's eligibility and amount (after exclusive groups)
  reform    a Reform changing one parameter: new system, new simulation, inputs, calculate the
            policies of the changed policy's exclusive group (or the policy alone), and the
            differences against the baseline (newly eligible, dropped, budget change)

and the RSS of the process (VmRSS / VmHWM from /proc/self/status; the peak is reset with
`echo 5 > /proc/self/clear_refs` before the reform simulation). Writes results.json and, for
the exact comparison, per policy the eligible bitmap (np.packbits, little bit order) and the
amounts in fen of the eligible rows (int64).

Usage: run.py POP_DIR MODULE_DIR OUT_DIR PERIOD RUNS WHATIF_CODE WHATIF_PARAM WHATIF_VALUE
"""

import importlib
import json
import os
import sys
import time

import numpy as np
from openfisca_core.variables import config

# Compare in f64 on both sides: OpenFisca's float is float32 by default.
config.VALUE_TYPES[float]["dtype"] = np.float64

from openfisca_core.indexed_enums import EnumArray  # noqa: E402
from openfisca_core.reforms import Reform  # noqa: E402
from openfisca_core.simulations import SimulationBuilder  # noqa: E402


def status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) * 1024
    return out


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def load_inputs(pop_dir, mod):
    meta = json.load(open(os.path.join(pop_dir, "meta.json")))
    n = meta["n"]
    inputs = {}
    for name in meta["num"]:
        inputs[name] = np.load(os.path.join(pop_dir, name + ".npy"))
    for name, vocab in meta["str"].items():
        codes = np.load(os.path.join(pop_dir, name + ".npy")).astype(np.int16)
        enum = getattr(mod, "E_" + name)
        missing = len(vocab)  # `missing` is declared after the vocabulary members
        codes = np.where(codes < 0, missing, codes).astype(np.int16)
        inputs[name] = EnumArray(codes, enum)
    masks = {}
    for name in meta["list"]:
        masks[name] = np.load(os.path.join(pop_dir, name + ".npy"))
    for var, col, bit in mod.LIST_INPUTS:
        inputs[var] = ((masks[col] >> np.uint64(bit)) & np.uint64(1)).astype(bool)
    for col in mod.COUNT_INPUTS:
        m = masks[col]
        c = np.zeros(n, dtype=np.float64)
        for bit in range(64):
            c += ((m >> np.uint64(bit)) & np.uint64(1)).astype(np.float64)
        inputs[col + "__count"] = c
    return n, inputs


def simulate(tbs, n, inputs, period):
    sim = SimulationBuilder().build_default_simulation(tbs, count=n)
    for name, values in inputs.items():
        sim.set_input(name, period, values)
    return sim


def calculate(sim, outputs, period, codes=None):
    res = {}
    for code, (ev, av) in outputs.items():
        if codes is not None and code not in codes:
            continue
        e = sim.calculate(ev, period)
        a = sim.calculate(av, period) if av else None
        res[code] = (e, a)
    return res


def main():
    pop_dir, mod_dir, out_dir, period, runs, wcode, wparam, wvalue = sys.argv[1:9]
    runs = int(runs)
    wvalue = float(wvalue)
    sys.path.insert(0, mod_dir)
    mod = importlib.import_module("lianshi_demo")
    os.makedirs(out_dir, exist_ok=True)
    r = {"rss_start": status()}

    t = time.perf_counter()
    n, inputs = load_inputs(pop_dir, mod)
    r["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    tbs = mod.DemoSystem()
    r["system_s"] = time.perf_counter() - t
    r["rss_loaded"] = status()

    builds, calcs, totals = [], [], []
    base = None
    for i in range(runs):
        t0 = time.perf_counter()
        sim = simulate(tbs, n, inputs, period)
        t1 = time.perf_counter()
        res = calculate(sim, mod.OUTPUTS, period)
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        calcs.append(t2 - t1)
        totals.append(t2 - t0)
        if i + 1 < runs:
            del sim, res
        else:
            base = res
    r["build_s"] = builds
    r["calculate_s"] = calcs
    r["full_s"] = totals
    r["rss_after_first"] = status()

    # what-if: a reform changing one parameter from the evaluation date on
    group = [wcode]
    for members in mod.GROUPS.values():
        if wcode in members:
            group = members
    pname = mod.ident(wcode) if hasattr(mod, "ident") else wcode.replace("-", "_")

    class WhatIf(Reform):
        def apply(self):
            def modify(parameters):
                node = getattr(parameters, pname)
                getattr(node, wparam).update(start=period_start, value=wvalue)
                return parameters

            self.modify_parameters(modifier_function=modify)

    from openfisca_core import periods

    period_start = periods.period(period).start
    reform_times = []
    peaks = []
    diff = None
    for i in range(runs):
        before = status()
        peak_reset = reset_peak()
        t0 = time.perf_counter()
        rtbs = WhatIf(tbs)
        rsim = simulate(rtbs, n, inputs, period)
        rres = calculate(rsim, mod.OUTPUTS, period, codes=set(group))
        newly = dropped = 0
        delta = 0
        for code in group:
            e0, a0 = base[code]
            e1, a1 = rres[code]
            newly += int(np.count_nonzero(e1 & ~e0))
            dropped += int(np.count_nonzero(e0 & ~e1))
            if a0 is not None:
                delta += int(a1.sum() - a0.sum())
        t1 = time.perf_counter()
        after = status()
        reform_times.append(t1 - t0)
        peaks.append(
            {
                "rss_before": before["VmRSS"],
                "rss_after": after["VmRSS"],
                "hwm_after": after["VmHWM"],
                "peak_reset": peak_reset,
            }
        )
        diff = {"newly": newly, "dropped": dropped, "budget_delta_fen": delta, "policies": group}
        del rtbs, rsim, rres
    # one more reform run, untimed, under tracemalloc (numpy reports its buffers to it): the
    # peak of traced bytes over the traced bytes before the run
    import tracemalloc

    tracemalloc.start()
    t_before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    rtbs = WhatIf(tbs)
    rsim = simulate(rtbs, n, inputs, period)
    rres = calculate(rsim, mod.OUTPUTS, period, codes=set(group))
    for code in group:
        e0, a0 = base[code]
        e1, a1 = rres[code]
        int(np.count_nonzero(e1 & ~e0))
    _, t_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del rtbs, rsim, rres
    r["whatif_heap"] = t_peak - t_before
    r["whatif_s"] = reform_times
    r["whatif_mem"] = peaks
    r["whatif_diff"] = diff

    # outputs for the exact comparison (not timed)
    summary = {}
    for code, (e, a) in base.items():
        e = np.asarray(e, dtype=bool)
        safe = mod.ident(code) if hasattr(mod, "ident") else code
        np.packbits(e, bitorder="little").tofile(os.path.join(out_dir, f"elig_{safe}.bin"))
        if a is not None:
            amounts = np.asarray(a)[e]
            assert np.all(amounts == np.round(amounts)), code
            amounts.astype(np.int64).tofile(os.path.join(out_dir, f"amt_{safe}.bin"))
        summary[code] = {
            "eligible": int(np.count_nonzero(e)),
            "total_fen": int(np.asarray(a)[e].astype(np.int64).sum()) if a is not None else 0,
        }
    r["policies"] = summary
    r["n"] = n
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
