# Conv-AE (Hasan et al., CVPR 2016): a cuboid of 10 grey frames in, the same
# 10 frames out; reconstruction error is the anomaly evidence.
model = dict(
    type='ReconstructionDetector',
    data_preprocessor=dict(
        type='ClipDataPreprocessor', mean=[127.5], std=[127.5]),
    # the decoder's channels and out_frames are the encoder's
    # (ReconstructionDetector), so a config sets them once
    encoder=dict(type='ConvAEEncoder', in_frames=10,
                 channels=(512, 256, 128)),
    decoder=dict(type='ConvAEDecoder'),
    loss=dict(type='ReconstructionLoss', p=2),
    scorer=dict(type='ReconstructionErrorScorer', reduce='mean'),
    thresholder=dict(type='MADThresholder', lam=3.0))
