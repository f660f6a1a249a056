_base_ = ['./futurepred_ped2_64x96.py']
# FFP on ShanghaiTech: the recipe of the zoo's futurepred_ped2.py (128x192 on
# Ped2, 30 epochs), the 16:9 frames at 128x224, about the same pixel budget.
# (64x112 until 2026-12-03, the 64x96 recipe's budget.) Not yet measured.
_videos = dict(_base_.video_datasets.shanghaitech, pipeline=[
    dict(type='LoadClipFrames', to_gray=True),
    dict(type='ResizeClip', size=(128, 224)), dict(type='PackClipInputs')])
train_dataloader = fit_dataloader = test_dataloader = dict(dataset=_videos)
