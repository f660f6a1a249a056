_base_ = ['./cbad_ped2_wholeframe.py']
# The paper's recipe on ShanghaiTech Campus (a GPU run): colour video, read in
# colour into 3-channel branches.
in_channels = 3
branch = dict(in_channels=in_channels)
model = dict(encoder=dict(spatial=branch, temporal=branch))
_videos = dict(_base_.video_datasets.shanghaitech, pipeline=[
    dict(type='LoadClipFrames', to_gray=in_channels == 1),
    dict(type='ResizeClip', size=(224, 224)), dict(type='PackClipInputs')])
train_dataloader = fit_dataloader = test_dataloader = dict(dataset=_videos)
fit_train_dataloader = train_dataloader
