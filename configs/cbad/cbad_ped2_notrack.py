_base_ = ['./cbad_ped2.py']
# Ablation (issue 10, "+ tracker" row): the same recipe without the IoU
# tracker. Each tube keeps its anchor region's box for all 16 frames, its
# motion attributes are the anchor region's alone, and the smoothness loss
# has no track to pair tubes along (every tube is its own sequence).
tubes = dict(tracker=None, box_mode='fixed')
model = dict(tubes=tubes)
train_dataloader = dict(dataset=dict(tubes=tubes))
