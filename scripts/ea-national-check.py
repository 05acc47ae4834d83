#!/usr/bin/env python3
"""The enhanced access requirement for every network in England, straight
from NHS England's 2025/26 PCN adjusted populations file (practice rows),
as a check on pcn's services core: 60 minutes a week per 1,000 of each
network's adjusted population, summed, must equal 60 × the national
adjusted population of members ÷ 1,000.

Usage: scripts/ea-national-check.py [../shared/data/nhse-pcn-adjusted-populations-2025-01/pcn_data.csv]
Exact decimals throughout (Python's decimal), never floats.
"""
import csv
import sys
from collections import defaultdict
from decimal import Decimal

path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/nhse-pcn-adjusted-populations-2025-01/pcn_data.csv"
by_pcn = defaultdict(Decimal)
total_row = None
members = 0
with open(path, newline="", encoding="utf-8-sig") as f:
    for row in csv.DictReader(f):
        code = (row["PCN Code"] or "").strip()
        if not row["Practice Code"].strip() or code == "" :
            total_row = row
            continue
        if row["PCN member January 25"].strip() != "Yes" or code == "no_data":
            continue
        members += 1
        by_pcn[code] += Decimal(row["Adjusted Population"].replace(",", ""))

minutes = {p: Decimal(60) * a / Decimal(1000) for p, a in by_pcn.items()}
total_minutes = sum(minutes.values())
adjusted = sum(by_pcn.values())
print(f"networks: {len(by_pcn)}; member practices: {members}")
print(f"national adjusted population of members: {adjusted}")
print(f"required minutes a week, summed per network: {total_minutes}")
print(f"  = hours a week: {total_minutes / 60}")
print(f"check 60 × adjusted ÷ 1,000 = {Decimal(60) * adjusted / 1000} minutes: {'equal' if Decimal(60) * adjusted / 1000 == total_minutes else 'DIFFERENT'}")
print(f"smallest / largest network (minutes a week): {min(minutes.values())} / {max(minutes.values())}")
if total_row is not None:
    print(f"file's total row: raw {total_row['Raw list size']}, adjusted {total_row['Adjusted Population']}")
