_base_ = [
    '../_base_/models/handcrafted.py', '../_base_/datasets/ped2.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# Hand-crafted flow histograms + kNN on UCSD Ped2; see README.md here. The
# Avenue and ShanghaiTech configs are this recipe on their videos.
train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),  # the flow is on grey frames
    dict(type='ResizeClip', size=(120, 180)),  # the flow grid: half size
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
# Every split is read as whole videos: each frame pair's flow is computed
# once and averaged over the 16/4 windows inside the detector.
_video = dict(sample_unit='video', pipeline=test_pipeline)
# Nothing to train: one epoch that only reads the videos, so tools/train.py
# runs FitDetectorHook (memory bank + threshold) and writes a checkpoint.
train_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(shuffle=False),
    dataset=_video)
fit_dataloader = test_dataloader = dict(
    batch_size=1, num_workers=0, dataset=_video)
fit_train_dataloader = dict(
    _base_.train_videos,
    num_workers=0,
    dataset=dict(_base_.train_videos.dataset, **_video))

train_cfg = dict(max_epochs=1)
