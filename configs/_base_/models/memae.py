# MemAE (Gong et al., ICCV 2019): a 3D-conv autoencoder over 16-frame grey
# clips whose code map is re-read from a memory of normal prototypes; the
# anomaly evidence is the per-frame reconstruction error. The defaults here
# are the authors' released video model; the dataset configs shrink it for
# CPU (see configs/memae/README.md).
model = dict(
    type='MemAEDetector',
    data_preprocessor=dict(
        type='ClipDataPreprocessor', mean=[127.5], std=[127.5]),
    # Widths are set once, on the encoder: the memory's feat_dim and the
    # decoder's channels are read from it (MemAEDetector).
    encoder=dict(
        type='MemAEEncoder', in_channels=1, channels=(96, 128, 256, 256)),
    memory=dict(
        type='MemoryModule',
        num_slots=2000,
        # lambda = 1/N, the low end of the paper's [1/N, 3/N]. The released
        # code's 0.0025 (5/N) zeroed every address of an untrained model
        # (no weight reaches 5/N), which leaves the decoder a constant input.
        shrink_thres=None,
        similarity='dot'),  # released code; Eq. 5 of the paper: 'cosine'
    decoder=dict(type='MemAEDecoder', out_channels=1),
    loss=dict(type='ReconstructionLoss', p=2),
    entropy_loss=dict(type='EntropyLoss', loss_weight=0.0002),
    scorer=dict(type='ReconstructionErrorScorer', reduce='mean'),
    thresholder=dict(type='MADThresholder', lam=3.0))
