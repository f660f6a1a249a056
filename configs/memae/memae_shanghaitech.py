_base_ = [
    '../_base_/models/memae.py', '../_base_/datasets/shanghaitech.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# MemAE on ShanghaiTech, CPU recipe (see configs/memae/README.md).
clip_len = 16  # the paper's 16-frame cuboids
input_size = (128, 224)  # 16:9 frames at a Ped2-like pixel budget; paper 256x256
channels = (24, 32, 64, 64)  # the paper's (96, 128, 256, 256) / 4 for CPU

model = dict(
    encoder=dict(channels=channels),
    memory=dict(feat_dim=channels[-1]),
    decoder=dict(channels=channels))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=input_size),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=10,  # the released training script's
    dataset=dict(clip_len=clip_len, stride=4, pipeline=train_pipeline))
fit_dataloader = dict(
    batch_size=10,
    dataset=dict(clip_len=clip_len, stride=4, pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=10,
    dataset=dict(clip_len=clip_len, stride=4, pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=1e-3))  # Adam; 1e-4 in the paper
train_cfg = dict(max_epochs=6)  # paper/code: up to 100 epochs on a GPU
