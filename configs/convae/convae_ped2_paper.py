_base_ = ['./convae_ped2.py']
# Conv-AE's published recipe (Hasan et al. 2016) as far as cbad follows it
# (configs/convae/README.md lists what differs): 227x227 grey 10-frame
# cuboids, widths 512, 256, 128, AdaGrad at 0.01. The paper's batch size
# and schedule are unconfirmed: batch 16 and 100 epochs here, with every
# epoch's checkpoint kept so the learning curve shows where it stops
# improving. Trained on Ped2 only (the paper pools four datasets). A GPU
# recipe; on CPU a long, resumable run (`--resume`).
model = dict(encoder=dict(channels=(512, 256, 128)))
_pipeline = [
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(227, 227)),
    dict(type='PackClipInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=_pipeline))
fit_dataloader = test_dataloader = dict(dataset=dict(pipeline=_pipeline))
optim_wrapper = dict(optimizer=dict(_delete_=True, type='Adagrad', lr=0.01))
train_cfg = dict(max_epochs=100)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1))
