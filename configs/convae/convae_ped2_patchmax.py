_base_ = ['./convae_ped2.py']
# Same network, another score: the largest 16x16-patch error instead of the
# frame's mean error. Ped2's anomalies (bikes, carts) fill a few percent of
# the frame, so the mean dilutes them in background pixels. The scorer has
# no weights: a convae_ped2 checkpoint re-fitted with tools/fit.py serves.
model = dict(scorer=dict(reduce='patch_max', patch_size=16))
