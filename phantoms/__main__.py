"""``python -m mcdose.phantoms``: the phantom library, each entry's parameters, units and defaults."""
from . import PHANTOMS

for entry in PHANTOMS.values():
    print(f"{entry.name}\n  {entry.doc.splitlines()[0]}")
    for key, f in entry.params.items():
        unit = f" [{f.unit}]" if f.unit else ""
        default = f.default_for({"type": entry.name})
        default = ("required" if f.required_when({"type": entry.name})
                   else "optional" if default is None else f"default {default!r}")
        print(f"  {key}{unit}: {f.doc or f.describe()} ({default})")
    print()
