_base_ = ['./cbad_ped2.py']
# The object-centric recipe on ShanghaiTech Campus, unchanged: only the
# videos differ (every proposal, tube and score setting is in pixels of the
# input frames or learned from the normal training videos, none is tuned to
# Ped2).
_videos = _base_.video_datasets.shanghaitech
train_dataloader = dict(dataset=dict(dataset=_videos))
fit_dataloader = fit_train_dataloader = test_dataloader = dict(dataset=_videos)
