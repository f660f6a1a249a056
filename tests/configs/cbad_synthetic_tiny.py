# A seconds-long variant of configs/cbad/cbad_synthetic.py for the tests
# (tests/test_reliability/test_exact_resume.py): the same pipeline, sampler,
# view augmentation and fitted scorers, on a smaller scene and network.
_base_ = ['../../configs/cbad/cbad_synthetic.py']
_scene = dict(num_videos=4, num_frames=40, height=48, width=64)
D = 16
branch = dict(in_channels=1, channels=(4, 8), out_dim=D)
model = dict(
    encoder=dict(spatial=branch, temporal=branch, fusion=dict(dim=D)),
    aggregator=dict(dim=D),
    head=dict(in_dim=D, hidden_dim=D, out_dim=8),
    prototype_loss=dict(dim=D),
    scorers=dict(D=dict(num_prototypes=2), R=dict(k=3)),
    clip_len=4,
    stride=2)
_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(24, 32)),
    dict(type='PackClipInputs'),
]
_clips = dict(scene_kwargs=_scene, clip_len=4, stride=2, pipeline=_pipeline)
train_dataloader = dict(batch_size=8, dataset=_clips)
fit_dataloader = dict(dataset=_clips)
fit_train_dataloader = dict(dataset=_clips)
test_dataloader = dict(dataset=_clips)
test_evaluator = dict(segment_len=4, segment_stride=2)
train_cfg = dict(max_epochs=3)
default_hooks = dict(logger=dict(interval=1))
