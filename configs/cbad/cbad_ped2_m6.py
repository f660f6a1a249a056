_base_ = ['./cbad_ped2_cpu.py']
# Ablation M6: the full model (D + T + R); identical to cbad_ped2_cpu.py,
# named so the ablation table has one config per row.
