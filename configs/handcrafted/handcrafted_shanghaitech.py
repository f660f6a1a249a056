_base_ = [
    '../_base_/models/handcrafted.py', '../_base_/datasets/shanghaitech.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# Hand-crafted flow histograms + kNN on ShanghaiTech; see README.md here.
input_size = (120, 214)  # the flow grid: 16:9 frames at Ped2's flow budget

pipeline = [
    dict(type='LoadClipFrames', to_gray=True),  # the flow is on grey frames
    dict(type='ResizeClip', size=input_size),
    dict(type='PackClipInputs'),
]
# Every split is read as whole videos: each frame pair's flow is computed
# once and averaged over the 16/4 windows inside the detector.
_video = dict(sample_unit='video', pipeline=pipeline)
# Nothing to train: one epoch that only reads the videos, so tools/train.py
# runs FitDetectorHook (memory bank + threshold) and writes a checkpoint.
train_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(shuffle=False),
    dataset=_video)
fit_dataloader = dict(batch_size=1, num_workers=0, dataset=_video)
fit_train_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        split='train',
        val_ratio={{_base_.val_ratio}},
        test_mode=True,
        **_video))
test_dataloader = dict(batch_size=1, num_workers=0, dataset=_video)

train_cfg = dict(max_epochs=1)
