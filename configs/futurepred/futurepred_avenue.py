_base_ = [
    '../_base_/models/futurepred.py', '../_base_/datasets/avenue.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# FFP on CUHK Avenue, same CPU recipe as futurepred_ped2.py (grey input;
# the paper uses colour). Not yet measured.
clip_len = 5  # FFP: 4 past frames + the frame to predict
input_size = (64, 112)  # 16:9 frames at a Ped2-like pixel budget
model = dict(
    generator=dict(base_channels=32),
    discriminator=dict(base_channels=32))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=input_size),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=4,
    dataset=dict(clip_len=clip_len, stride=3,
                 pipeline=train_pipeline))
# Stride 1: every frame from the 5th on is predicted exactly once.
fit_dataloader = dict(
    dataset=dict(clip_len=clip_len, stride=1, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(clip_len=clip_len, stride=1, pipeline=test_pipeline))

# One Adam over both networks; each step only gives gradients to its own
# network, so this equals FFP's two optimisers (G at lr, D at lr / 10).
optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(custom_keys=dict(discriminator=dict(lr_mult=0.1))))
train_cfg = dict(max_epochs=6)
