_base_ = ['./cbad_ped2.py']
# Candidate (issue 10, third selection round): the headline recipe with
# background-masked crops. Each tube is cut from frames whose pixels outside
# the proposer's own regions (grown by 2 grid pixels) are 0, so the encoder
# sees the moving objects' appearance and silhouette and not the scene
# around them. configs/cbad/README.md gives the rule, written before any
# result, that decides whether it replaces the grey crops.
tubes = dict(mask_background=True)
model = dict(tubes=tubes)
train_dataloader = dict(dataset=dict(tubes=tubes))
