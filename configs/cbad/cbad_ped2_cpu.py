_base_ = ['./cbad_ped2_wholeframe.py']
# CPU recipe: the paper's model, lighter, trained in <= 30 min on 2 cores.
# PAPER.md's calibration: on CPU the number of optimisation steps matters
# more than resolution, so the input is small and the branches narrow.
input_size = (64, 96)  # Ped2's 240x360 at ~1/4 (paper: 224x224)
embed_dim = 128  # paper: 256; halves the fusion/attention/head cost
branch = dict(channels=(16, 32, 64), out_dim=embed_dim)  # paper: 4 blocks
model = dict(
    encoder=dict(
        spatial=branch,
        temporal=branch,
        fusion=dict(dim=embed_dim)),
    aggregator=dict(dim=embed_dim),
    head=dict(in_dim=embed_dim, hidden_dim=embed_dim, out_dim=embed_dim),
    prototype_loss=dict(dim=embed_dim))

train_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=input_size),
    dict(type='PackClipInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
fit_dataloader = dict(dataset=dict(pipeline=test_pipeline))
fit_train_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=1e-3))  # few epochs: larger steps
train_cfg = dict(max_epochs=16)  # fits the 30-minute CPU budget
