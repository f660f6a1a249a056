_base_ = ['./cbad_ped2.py']
# Ablation (issue 10, "+ masked crops" row): the headline with the crops of
# the whole frame, scene included (the headline before the third selection
# round of configs/cbad/README.md).
tubes = dict(mask_background=False)
model = dict(tubes=tubes)
train_dataloader = dict(dataset=dict(tubes=tubes))
