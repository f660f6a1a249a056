from .response_map import overlay_heatmap, response_maps
from .score_curve import draw_score_bar, plot_score_curve

__all__ = [
    'response_maps', 'overlay_heatmap', 'plot_score_curve', 'draw_score_bar'
]
