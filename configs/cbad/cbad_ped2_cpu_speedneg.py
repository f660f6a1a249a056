_base_ = ['./cbad_ped2_cpu.py']
# Not in the paper: the CPU recipe plus sped-up hard negatives. Each
# training clip loads 32 frames; its first 16 are the anchor and every 2nd
# frame of all 32 makes a negative with the same scene and people but twice
# the motion (SpeedNegative), so instance contrast cannot be solved from
# static layout alone. Everything else, fitting and testing included, is
# the CPU recipe's (16-frame windows at stride 4). Anchors and negatives go
# through the encoder in one batch, so BatchNorm cannot normalise the larger
# motion away. Two side effects of loading 32 frames: a clip's motion group
# (eq. 8) is measured over all 32 frames (its first 16 are the anchor), and
# the last 16 frames of each training video start no anchor.
speed_negative = dict(type='SpeedNegative', clip_len=16, speeds=(2, ))
model = dict(speed_negative=speed_negative)
train_dataloader = dict(dataset=dict(clip_len=32))
