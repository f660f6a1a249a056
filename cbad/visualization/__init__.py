from .response_map import overlay_heatmap, response_maps

__all__ = ['response_maps', 'overlay_heatmap']
