_base_ = [
    '../_base_/models/handcrafted.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# Hand-crafted flow histograms + kNN on the built-in synthetic scene (seconds
# on 2 CPU cores). Frames are already small (120x160 grey): no resize.
# Every split is read as whole videos (handcrafted_ped2.py says why).
_video = dict(sample_unit='video')
# Nothing to train: one epoch that only renders the videos, so tools/train.py
# runs FitDetectorHook (memory bank + threshold) and writes a checkpoint.
train_dataloader = dict(
    batch_size=1, sampler=dict(shuffle=False), dataset=_video)
fit_dataloader = test_dataloader = dict(batch_size=1, dataset=_video)
fit_train_dataloader = _base_.train_videos

train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=5))
