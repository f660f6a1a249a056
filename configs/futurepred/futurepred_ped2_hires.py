_base_ = ['./futurepred_ped2_64x96.py']
# FFP's CPU recipe at twice the resolution (128x192, Ped2's aspect ratio;
# the paper: 256x256), about 4x the compute per step: one step of the
# learning curve towards the paper's input size (docs/benchmarks.md).
_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(128, 192)),
    dict(type='PackClipInputs'),
]
train_dataloader = fit_dataloader = test_dataloader = dict(
    dataset=dict(pipeline=_pipeline))
