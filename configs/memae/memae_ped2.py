_base_ = [
    '../_base_/models/memae.py', '../_base_/datasets/ped2.py',
    '../_base_/schedules/adam_1e-4_120e.py', '../_base_/default_runtime.py'
]
# MemAE on UCSD Ped2, CPU recipe (see configs/memae/README.md): the paper's
# 16-frame cuboids every 4 frames (the dataset's segments); the Avenue and
# ShanghaiTech configs are this recipe on their videos.
channels = (24, 32, 64, 64)  # the paper's (96, 128, 256, 256) / 4 for CPU
model = dict(
    encoder=dict(channels=channels))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    # 240x360 frames at ~half size, same aspect ratio (paper: 256x256)
    dict(type='ResizeClip', size=(128, 192)),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
# Batch 10: the released training script's.
train_dataloader = fit_dataloader = test_dataloader = dict(
    batch_size=10, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(lr=1e-3))  # Adam; 1e-4 in the paper
# 12 epochs: the budget the label-free signal chose among 2, 6, 12
# (docs/benchmarks.md); paper/code: up to 100 epochs on a GPU
train_cfg = dict(max_epochs=12)
