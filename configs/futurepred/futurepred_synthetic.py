_base_ = [
    '../_base_/models/futurepred.py', '../_base_/datasets/synthetic.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# FFP on the built-in synthetic scene (minutes on 2 CPU cores); the
# 120x160 grey frames are resized to 60x80.
clip_len = 5  # FFP: 4 past frames + the frame to predict
input_size = (60, 80)
model = dict(
    generator=dict(base_channels=16),
    discriminator=dict(base_channels=16))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=input_size),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=8,
    dataset=dict(clip_len=clip_len, stride=4,
                 pipeline=train_pipeline))
# Stride 1: every frame from the 5th on is predicted exactly once.
fit_dataloader = dict(
    dataset=dict(clip_len=clip_len, stride=1, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(clip_len=clip_len, stride=1, pipeline=test_pipeline))

# One Adam over both networks; each step only gives gradients to its own
# network, so this equals FFP's two optimisers (G at lr, D at lr / 10).
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(custom_keys=dict(discriminator=dict(lr_mult=0.1))))
train_cfg = dict(max_epochs=4)
default_hooks = dict(logger=dict(interval=10))
