#!/usr/bin/env python3
"""pcn's network planner against the established peer, PySAL spopt's max-p regions.

Both run on the same groups (every ICB of England as at 2026-07-01, built by
pcn from the national files in ../shared/data): the same practices,
coordinates and registered lists, floor 30,000. For each group and in total
it prints the time, the networks proposed, how many are in the 30,000-50,000
band, under the floor and over the ceiling (and of those, single practices
over the ceiling, which nothing can bring into band), practices left
unassigned, practices moved (in a network that does not continue their
current one: a proposed network continues the current network with which it
shares the most practices), and compactness: the patient-weighted root mean square distance,
in km, from each located practice to its network's patient-weighted centroid
(pcn's measure, computed here the same way for both sides, on a flat
projection of each group about its mean point).

How spopt is run (as in issue 16): max-p regions (spopt.region.MaxPHeuristic,
default settings) per ICB, with the list size as the threshold variable
(floor 30,000), the projected coordinates as the attributes, and Delaunay
contiguity (libpysal.weights.Delaunay). Co-located practices are merged into
one area first (summing their lists), because a Delaunay triangulation cannot
hold two points at the same place; practices without coordinates cannot be
placed and are counted as unassigned. spopt has no ceiling. numpy's global
generator is seeded with --seed before each group.

pcn's side is the `pcn` command as a user runs it: the script builds it
(release), imports the six national files into a temporary SQLite database
and runs `pcn plan --all --as-at 2026-07-01 --format json`. The groups
spopt gets are read from that answer (every practice of every group is a
member of one proposed network, with its coordinates, list and current
network), so both sides plan exactly the same practices. pcn's time per
group is the planner's own (the answer's `timing`, one thread, not reading
the database); the whole command's wall time is printed too.

Install (Python 3.11):

    python3.11 -m venv .venv-peer
    .venv-peer/bin/pip install spopt==0.7.0
    .venv-peer/bin/python scripts/plan-peer/compare.py            # from the repository root

spopt 0.7.0 brings numpy, scipy, pandas, geopandas, libpysal and
scikit-learn with it; numba (optional) only speeds up libpysal's weights.

Options: --data DIR (default ../shared/data), --seed N (default 1, for
both), --only CODE[,CODE] (some groups), --pcn-only / --peer-only,
--csv FILE (the per-group table as CSV).
"""

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict

# libpysal suggests numba for speed; its absence changes no result.
warnings.filterwarnings("ignore", message="The numba package")

FLOOR = 30_000
CEILING = 50_000
EARTH_RADIUS_KM = 6371.0088


def projector(points):
    """Equirectangular projection about the mean of the points, in km (as pcn's)."""
    if not points:
        return lambda p: (0.0, 0.0)
    lat0 = sum(p[0] for p in points) / len(points)
    lon0 = sum(p[1] for p in points) / len(points)
    c = math.cos(math.radians(lat0))

    def to_km(p):
        return (
            EARTH_RADIUS_KM * math.radians(p[1] - lon0) * c,
            EARTH_RADIUS_KM * math.radians(p[0] - lat0),
        )

    return to_km


def measure(networks, coords, lists):
    """Counts and compactness of a partition.

    networks: list of lists of practice codes; coords: code -> (x, y) km or
    None; lists: code -> patients. Returns a dict of figures, with the moment
    (sum of list x squared km) and located patients so totals can be added.
    """
    out = dict(networks=0, in_band=0, under=0, over=0, single_over=0, moment=0.0, located=0)
    for members in networks:
        size = sum(lists[c] for c in members)
        out["networks"] += 1
        if size < FLOOR:
            out["under"] += 1
        elif size > CEILING:
            out["over"] += 1
            if len(members) == 1:
                out["single_over"] += 1
        else:
            out["in_band"] += 1
        located = [(lists[c], coords[c]) for c in members if coords.get(c) is not None]
        w = sum(l for l, _ in located)
        if not located:
            continue
        if w == 0:
            cx = sum(p[0] for _, p in located) / len(located)
            cy = sum(p[1] for _, p in located) / len(located)
        else:
            cx = sum(l * p[0] for l, p in located) / w
            cy = sum(l * p[1] for l, p in located) / w
        out["moment"] += sum(l * ((p[0] - cx) ** 2 + (p[1] - cy) ** 2) for l, p in located)
        out["located"] += w
    return out


def moved(networks, current):
    """Practices with a current network that end in a network not continuing it.

    A proposed network continues the current network with which it shares the
    most practices (largest overlaps first, each network used once), as pcn
    decides it. current: code -> current network code, or None for the U
    placeholder or no network (those are not counted).
    """
    overlaps = defaultdict(int)
    for i, members in enumerate(networks):
        for c in members:
            if current.get(c):
                overlaps[(i, current[c])] += 1
    continues, taken = {}, set()
    for (i, n), k in sorted(overlaps.items(), key=lambda x: (-x[1], x[0])):
        if i not in continues and n not in taken:
            continues[i] = n
            taken.add(n)
    return sum(
        1
        for i, members in enumerate(networks)
        for c in members
        if current.get(c) and continues.get(i) != current[c]
    )


def rms(m):
    return math.sqrt(m["moment"] / m["located"]) if m["located"] else 0.0


NATIONAL_FILES = [
    "ods-epcn-2024-10/ePCN.xlsx",
    "ods-epraccur-2025-11/epraccur.csv",
    "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-map.csv",
    "nhsd-gp-reg-pat-prac-2026-07/gp-reg-pat-prac-quin-age.csv.gz",
    "nhsd-gpad-mapping-2025-08/Mapping.csv",
    "nhsuk-gp-locations-2019-05/GP.csv",
]


def run_pcn(root, data, seed, workdir):
    """`pcn plan --all` on a new national database; returns (groups, answer, wall seconds)."""
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "pcn-cli"], cwd=root, check=True)
    pcn = [os.path.join(root, "target", "release", "pcn"), "--database", os.path.join(workdir, "national.sqlite")]
    files = [os.path.join(data, f) for f in NATIONAL_FILES]
    subprocess.run(pcn + ["import"] + files, cwd=root, check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(workdir, "plan.json")
    cmd = pcn + ["plan", "--all", "--as-at", "2026-07-01", "--seed", str(seed), "--format", "json", "--out", out]
    print("running:", " ".join(cmd[1:]), file=sys.stderr)
    started = time.perf_counter()
    subprocess.run(cmd, cwd=root, check=True)
    wall = time.perf_counter() - started
    with open(out) as f:
        answer = json.load(f)
    groups = []
    for g in answer["plan"]["groups"]:
        practices = [
            {"code": m["practice"], "location": m["location"], "list_size": m["list_size"], "current": m["from"]}
            for n in g["networks"]
            for m in n["members"]
        ]
        practices.sort(key=lambda p: p["code"])
        groups.append({"group": g["group"], "practices": practices})
    return groups, answer, wall


def run_spopt(group, seed, to_km):
    """max-p on one group; returns (networks as code lists, unassigned codes, seconds)."""
    import numpy as np
    import geopandas as gpd
    import libpysal
    from spopt.region import MaxPHeuristic

    # Merge co-located practices (same coordinates) into one area.
    areas = defaultdict(list)
    unassigned = []
    for p in group["practices"]:
        if p["location"] is None:
            unassigned.append(p["code"])
        else:
            key = (p["location"]["lat"], p["location"]["lon"])
            areas[key].append(p)
    keys = sorted(areas)
    started = time.perf_counter()
    if len(keys) < 3:
        # Too few points to triangulate: one region of everything located.
        labels = [0] * len(keys)
    else:
        xy = np.array([to_km(k) for k in keys])
        lists = np.array([sum(p["list_size"] for p in areas[k]) for k in keys], dtype=float)
        gdf = gpd.GeoDataFrame(
            {"x": xy[:, 0], "y": xy[:, 1], "list": lists},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        )
        w = libpysal.weights.Delaunay(xy, silence_warnings=True)
        np.random.seed(seed)
        model = MaxPHeuristic(gdf, w, ["x", "y"], "list", FLOOR)
        model.solve()
        labels = list(model.labels_)
    seconds = time.perf_counter() - started
    by_label = defaultdict(list)
    for key, label in zip(keys, labels):
        codes = [p["code"] for p in areas[key]]
        if label is None or (isinstance(label, (int, float)) and label < 0):
            unassigned.extend(codes)
        else:
            by_label[int(label)].extend(codes)
    return list(by_label.values()), unassigned, seconds


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.normpath(os.path.join(root, "..", "shared", "data")))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="")
    ap.add_argument("--pcn-only", action="store_true")
    ap.add_argument("--peer-only", action="store_true")
    ap.add_argument("--csv")
    args = ap.parse_args()
    if not os.path.isdir(args.data) and os.path.isdir("../shared/data"):
        args.data = os.path.abspath("../shared/data")

    with tempfile.TemporaryDirectory() as workdir:
        groups, pcn, pcn_wall = run_pcn(root, args.data, args.seed, workdir)
    only = {c for c in args.only.split(",") if c}
    if only:
        groups = [g for g in groups if g["group"]["code"] in only]
    pcn_groups = {g["group"]["code"]: g for g in pcn["plan"]["groups"]}

    rows = []
    totals = {"pcn": defaultdict(float), "spopt": defaultdict(float)}
    for group in groups:
        code = group["group"]["code"]
        located = [(p["location"]["lat"], p["location"]["lon"]) for p in group["practices"] if p["location"]]
        to_km = projector(located)
        coords = {
            p["code"]: (to_km((p["location"]["lat"], p["location"]["lon"])) if p["location"] else None)
            for p in group["practices"]
        }
        lists = {p["code"]: p["list_size"] for p in group["practices"]}
        current = {
            p["code"]: p["current"] if p["current"] not in (None, "U") else None
            for p in group["practices"]
        }
        row = {"group": code, "practices": len(group["practices"])}
        sides = []
        if not args.peer_only:
            planned = pcn_groups[code]
            networks = [[m["practice"] for m in n["members"]] for n in planned["networks"]]
            assigned = {c for n in networks for c in n}
            unassigned = [c for c in lists if c not in assigned]
            sides.append(("pcn", networks, unassigned, pcn["timing"]["groups"][code]))
        if not args.pcn_only:
            networks, unassigned, seconds = run_spopt(group, args.seed, to_km)
            sides.append(("spopt", networks, unassigned, seconds))
        for side, networks, unassigned, seconds in sides:
            m = measure(networks, coords, lists)
            row.update({
                f"{side}_s": seconds,
                f"{side}_networks": m["networks"],
                f"{side}_in_band": m["in_band"],
                f"{side}_under": m["under"],
                f"{side}_over": m["over"],
                f"{side}_single_over": m["single_over"],
                f"{side}_unassigned": len(unassigned),
                f"{side}_rms_km": rms(m),
                f"{side}_moved": moved(networks, current),
            })
            t = totals[side]
            t["s"] += seconds
            for k in ("networks", "in_band", "under", "over", "single_over", "moment", "located"):
                t[k] += m[k]
            t["unassigned"] += len(unassigned)
            t["moved"] += row[f"{side}_moved"]
        rows.append(row)
        print_row(row, sys.stdout)
        sys.stdout.flush()

    print()
    print_totals(totals, pcn if not args.peer_only else None)
    print(f"pcn plan --all end to end (open the database, load the registry, plan, write JSON): {pcn_wall:.2f} s")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            writer.writeheader()
            writer.writerows(rows)


HEADER_DONE = []


def print_row(row, out):
    sides = [s for s in ("pcn", "spopt") if f"{s}_s" in row]
    if not HEADER_DONE:
        cols = ["group", "prac"]
        for s in sides:
            cols += [f"{s}:s", "nets", "in", "under", "over", "1over", "unas", "rms km", "moved"]
        print(" ".join(f"{c:>7}" for c in cols), file=out)
        HEADER_DONE.append(True)
    cells = [f"{row['group']:>7}", f"{row['practices']:>7}"]
    for s in sides:
        cells += [
            f"{row[f'{s}_s']:>7.2f}",
            f"{row[f'{s}_networks']:>7}",
            f"{row[f'{s}_in_band']:>7}",
            f"{row[f'{s}_under']:>7}",
            f"{row[f'{s}_over']:>7}",
            f"{row[f'{s}_single_over']:>7}",
            f"{row[f'{s}_unassigned']:>7}",
            f"{row[f'{s}_rms_km']:>7.2f}",
            f"{row[f'{s}_moved']:>7}",
        ]
    print(" ".join(cells), file=out)


def print_totals(totals, pcn):
    print("England        time s  networks  in band  (% excl. single over)  under  over  single over  unassigned  RMS km  moved")
    for side in ("pcn", "spopt"):
        t = totals[side]
        if not t:
            continue
        counted = t["networks"] - t["single_over"]
        share = 100.0 * t["in_band"] / counted if counted else 100.0
        r = math.sqrt(t["moment"] / t["located"]) if t["located"] else 0.0
        print(
            f"{side:<12} {t['s']:>8.2f}  {int(t['networks']):>8}  {int(t['in_band']):>7}  {share:>20.1f}%  "
            f"{int(t['under']):>5}  {int(t['over']):>4}  {int(t['single_over']):>11}  {int(t['unassigned']):>10}  {r:>6.2f}"
            f"  {int(t['moved']):>5}"
        )
    if pcn is not None:
        before = pcn["plan"]["before"]
        print(
            f"today's networks: {before['networks']}, {before['in_band']} in band, RMS {before['rms_km']:.2f} km "
            f"(counted by their members within each ICB)"
        )
    if totals["pcn"] and totals["spopt"]:
        print(f"pcn is {totals['spopt']['s'] / totals['pcn']['s']:.0f}x faster")


if __name__ == "__main__":
    main()
