_base_ = ['./futurepred_ped2_hires.py']
# The zoo's `futurepred_ped2` (since 2026-12-03): FFP's CPU recipe at
# 128x192, 30 epochs, exactly futurepred_ped2_hires.py, which the third rule
# of docs/benchmarks.md adopted by the label-free signal. The 64x96 recipe
# published until then is futurepred_ped2_64x96.py.
