_base_ = ['./memae_ped2.py']
# MemAE on CUHK Avenue: the recipe of memae_ped2.py, the 16:9 frames at a
# Ped2-like pixel budget.
_videos = dict(_base_.video_datasets.avenue, pipeline=[
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(128, 224)), dict(type='PackClipInputs')])
train_dataloader = fit_dataloader = test_dataloader = dict(dataset=_videos)
