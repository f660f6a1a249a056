_base_ = ['./cbad_ped2.py']
# The object-centric recipe on ShanghaiTech Campus, unchanged: only the videos differ
# (every proposal, tube and score setting is in pixels of the input frames
# or learned from the normal training videos, none is tuned to Ped2).
dataset_type = 'ShanghaiTechDataset'
data_root = __import__('os').path.join(
    __import__('os').environ.get('CBAD_DATA_ROOT') or 'data', 'shanghaitech')
_videos = dict(type=dataset_type, data_root=data_root)
train_dataloader = dict(dataset=dict(dataset=_videos))
fit_dataloader = dict(dataset=_videos)
fit_train_dataloader = dict(dataset=_videos)
test_dataloader = dict(dataset=_videos)
