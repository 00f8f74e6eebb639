#!/usr/bin/env bash
# Regenerates docs/examples/takedown-package/ (run from the repository's root, crimegraph installed):
# the demo graph (300 actors, seed 7), the planner's plan and the takedown package, both read at clearance
# GREEN (the example's clearance: nothing above it can reach the plan or the package), made "at" the fixed
# time below (SOURCE_DATE_EPOCH), so the same code gives the same files (under any hash seed) but for the
# STIX relationships' dates (when the demo loaded each link: date_added).
# Keeps the plan, index.json, manifest.json and the folder of AS200004; the other folders' hashes are in
# the manifest.
set -euo pipefail
out=docs/examples/takedown-package
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
crimegraph=(python -m backend --store "embedded:$work/demo.db")
python -m backend demo --no-serve --path "$work/demo.db" >/dev/null
"${crimegraph[@]}" plan --budget 8 --clearance GREEN --json >"$work/plan.json"
CRIMEGRAPH_PACKAGE__UNIT="National Cybercrime Unit (example)" CRIMEGRAPH_PACKAGE__EMAIL=ncu-requests@police.example \
CRIMEGRAPH_PACKAGE__PHONE="+31 70 000 0000" CRIMEGRAPH_PACKAGE__REFERENCE=OP-2026-017 \
SOURCE_DATE_EPOCH=1796591505 \
  "${crimegraph[@]}" --analyst "A. Analyst" package create "$work/plan.json" -o "$work/pkg" --clearance GREEN
python -m backend package verify "$work/pkg"
rm -rf "$out"
mkdir -p "$out"
cp "$work/plan.json" "$out/plan.json"
cp "$work/pkg/index.json" "$work/pkg/manifest.json" "$out/"
cp -r "$work/pkg/network-operator-as200004" "$out/"
