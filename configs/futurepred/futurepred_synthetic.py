_base_ = [
    '../_base_/models/futurepred.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# FFP on the built-in synthetic scene (minutes on 2 CPU cores): 5-frame
# clips as in futurepred_ped2_64x96.py, the 120x160 grey frames resized to 60x80.
clip_len = 5  # FFP: 4 past frames + the frame to predict
model = dict(
    generator=dict(in_frames=clip_len - 1, base_channels=16),
    discriminator=dict(base_channels=16))

train_pipeline = test_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(60, 80)),
    dict(type='PackClipInputs'),
]
# Training clips every 4 frames; fitting and testing at stride 1, so every
# frame from the 5th on is predicted exactly once and scored by that
# prediction ('end', as in futurepred_ped2_64x96.py).
train_dataloader = dict(batch_size=8, dataset=dict(
    clip_len=clip_len, pipeline=train_pipeline))
fit_dataloader = test_dataloader = dict(
    dataset=dict(clip_len=clip_len, stride=1, pipeline=test_pipeline))
test_evaluator = dict(clip_to_frame='end')

optim_wrapper = dict(
    optimizer=dict(lr=1e-3), paramwise_cfg=_base_.paramwise_cfg)
train_cfg = dict(max_epochs=4)
default_hooks = dict(logger=dict(interval=10))
