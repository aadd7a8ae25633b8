"""Renderer: pixels of masks, boxes, keypoints and skeleton edges, and masks equal to pycocotools."""

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from loaders.model import Instance, KeypointSchema, Visibility
from render.annotate import draw_instances, draw_keypoints, draw_masks
from render.colors import color_for
from render.masks import full_mask, instance_mask
from render.style import Style

ONLY_MASKS = Style(masks=True, mask_opacity=1.0, outlines=False, boxes=False, keypoints=False, labels=False,
                   legend=False)
ONLY_KEYPOINTS = Style(masks=False, outlines=False, boxes=False, keypoints=True, labels=False, legend=False,
                       keypoint_radius=4)


def square(instance_id="a", category_id=1, x0=20.0, y0=20.0, size=40.0) -> Instance:
    polygon = np.array([[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size]])
    return Instance(id=instance_id, category_id=category_id, polygons=[polygon])


def test_mask_colour_inside_polygon_only():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    out = draw_instances(image, [square()], ONLY_MASKS)
    assert tuple(out[40, 40]) == color_for(1)
    assert tuple(out[10, 10]) == (0, 0, 0)
    assert tuple(out[80, 80]) == (0, 0, 0)


def test_overlapping_masks_blend_once():
    image = np.full((100, 100, 3), 100, dtype=np.uint8)
    style = Style(**{**ONLY_MASKS.__dict__, "mask_opacity": 0.5})
    big = square("big", 1, 10, 10, 60)
    small = square("small", 1, 30, 30, 20)
    out = draw_masks(image, [big, small], style)
    # Same category, same colour: the overlap must look exactly like the rest of the big mask.
    assert tuple(out[40, 40]) == tuple(out[15, 15])


def test_smaller_mask_painted_on_top():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    big = square("big", 1, 10, 10, 60)
    small = square("small", 2, 30, 30, 20)
    out = draw_masks(image, [small, big], ONLY_MASKS)
    assert tuple(out[40, 40]) == color_for(2)
    assert tuple(out[15, 15]) == color_for(1)


def test_polygon_mask_equals_ann_to_mask():
    height, width = 120, 90
    polygon = [12.5, 7.2, 80.3, 20.0, 60.7, 110.9, 5.1, 95.4]
    coco_rle = mask_utils.merge(mask_utils.frPyObjects([polygon], height, width))
    expected = mask_utils.decode(coco_rle).astype(bool)
    instance = Instance(id="p", polygons=[np.array(polygon).reshape(-1, 2)])
    assert np.array_equal(full_mask(instance, height, width), expected)


def test_polygon_outside_image_is_clipped():
    instance = Instance(id="p", polygons=[np.array([[-20.0, -20.0], [30.0, -20.0], [30.0, 30.0], [-20.0, 30.0]])])
    mask = full_mask(instance, 50, 50)
    assert mask[0, 0]
    assert mask[:31, :31].sum() == mask.sum()


def test_rle_and_polygon_masks_are_united():
    height, width = 60, 60
    block = np.zeros((height, width), dtype=np.uint8, order="F")
    block[40:50, 40:50] = 1
    rle = mask_utils.encode(block)
    instance = square()
    instance.polygons = [np.array([[5.0, 5.0], [20.0, 5.0], [20.0, 20.0], [5.0, 20.0]])]
    instance.rle = rle
    mask = full_mask(instance, height, width)
    assert mask[45, 45]
    assert mask[10, 10]
    assert not mask[30, 30]


def test_uncompressed_rle_is_decoded():
    # Column-major counts: 2 rows of background, then 3 foreground, in a 5 x 2 image.
    rle = {"size": [5, 2], "counts": [2, 3, 5]}
    cropped = instance_mask(Instance(id="r", rle=rle), 5, 2)
    mask = np.zeros((5, 2), dtype=bool)
    mask[cropped.y0:cropped.y0 + cropped.mask.shape[0], cropped.x0:cropped.x0 + cropped.mask.shape[1]] = cropped.mask
    assert mask[:, 0].tolist() == [False, False, True, True, True]
    assert not mask[:, 1].any()


def keypoint_instance(points, edges=((0, 1),)) -> Instance:
    schema = KeypointSchema("test", tuple(str(i) for i in range(len(points))), tuple(edges))
    return Instance(id="k", category_id=3, keypoints=np.array(points, dtype=np.float32), keypoint_schema=schema)


def test_keypoint_drawn_at_its_coordinates():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    out = draw_keypoints(image, [keypoint_instance([[30, 40, Visibility.VISIBLE]], ())], ONLY_KEYPOINTS)
    assert tuple(out[40, 30]) == color_for(3)
    assert tuple(out[40, 60]) == (0, 0, 0)


def test_occluded_point_differs_from_visible():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    visible = draw_keypoints(image, [keypoint_instance([[50, 50, Visibility.VISIBLE]], ())], ONLY_KEYPOINTS)
    occluded = draw_keypoints(image, [keypoint_instance([[50, 50, Visibility.OCCLUDED]], ())], ONLY_KEYPOINTS)
    # A visible point is a filled disc; an occluded point is a ring with a dark centre.
    assert tuple(visible[50, 50]) == color_for(3)
    assert tuple(occluded[50, 50]) == (0, 0, 0)
    assert occluded.any()


def test_unlabelled_point_not_drawn():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    points = [[50, 50, Visibility.NOT_LABELLED], [np.nan, np.nan, Visibility.NOT_LABELLED]]
    out = draw_keypoints(image, [keypoint_instance(points, ())], ONLY_KEYPOINTS)
    assert not out.any()


@pytest.mark.parametrize("second_code, expect_edge", [
    (Visibility.VISIBLE, True), (Visibility.OCCLUDED, True), (Visibility.NOT_LABELLED, False)])
def test_skeleton_edge_only_between_labelled_points(second_code, expect_edge):
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    second = [80, 50, second_code] if second_code else [np.nan, np.nan, second_code]
    out = draw_keypoints(image, [keypoint_instance([[20, 50, Visibility.VISIBLE], second])], ONLY_KEYPOINTS)
    # (50, 50) lies halfway along the edge, far from both points.
    assert bool(out[50, 50].any()) == expect_edge


def test_layers_switch_off():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    instance = square()
    instance.bbox = np.array([20.0, 20.0, 60.0, 60.0])
    off = Style(masks=False, outlines=False, boxes=False, keypoints=False, labels=False, legend=False)
    assert not draw_instances(image, [instance], off).any()
    boxes_only = Style(**{**off.__dict__, "boxes": True})
    out = draw_instances(image, [instance], boxes_only)
    assert tuple(out[20, 40]) == color_for(1)
    assert not out[40, 40].any()


def test_colour_by_instance_differs_per_instance():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    style = Style(**{**ONLY_MASKS.__dict__, "color_by": "instance"})
    out = draw_masks(image, [square("a", 1, 0, 0, 30), square("b", 1, 50, 50, 30)], style)
    assert tuple(out[10, 10]) == color_for(0)
    assert tuple(out[60, 60]) == color_for(1)


def test_legend_and_labels_draw_text():
    image = np.zeros((120, 200, 3), dtype=np.uint8)
    instance = square()
    instance.category_name = "skirt"
    instance.bbox = np.array([20.0, 40.0, 60.0, 80.0])
    style = Style(masks=False, outlines=False, boxes=False, keypoints=False, labels=True, legend=False)
    labelled = draw_instances(image, [instance], style)
    assert labelled[20:40, 20:60].any()
    legend = draw_instances(image, [instance], Style(**{**style.__dict__, "labels": False, "legend": True}))
    assert legend[5:30, 120:].any()


def test_keypoint_names_written_when_enabled():
    image = np.zeros((100, 200, 3), dtype=np.uint8)
    instance = keypoint_instance([[20, 50, Visibility.VISIBLE], [np.nan, np.nan, Visibility.NOT_LABELLED]], ())
    without = draw_instances(image, [instance], ONLY_KEYPOINTS)
    with_names = draw_instances(image, [instance], Style(**{**ONLY_KEYPOINTS.__dict__, "keypoint_names": True}))
    # The name "0" is written to the right of the point at (20, 50); nothing for the unlabelled point.
    assert not without[40:60, 27:45].any()
    assert with_names[40:60, 27:45].any()


def test_draw_instances_leaves_input_unchanged():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    instance = square()
    instance.bbox = np.array([20.0, 20.0, 60.0, 60.0])
    instance.keypoints = np.array([[30, 30, Visibility.VISIBLE]], dtype=np.float32)
    out = draw_instances(image, [instance], Style())
    assert out.any()
    assert not image.any()


def test_many_masks_path_paints_like_lookup_path():
    from render.annotate import _draw_many_masks, instance_colors

    image = np.full((60, 60, 3), 50, dtype=np.uint8)
    instances = [square("a", 1, 5, 5, 40), square("b", 2, 20, 20, 30)]
    masks = [instance_mask(instance, 60, 60) for instance in instances]
    style = Style(mask_opacity=0.5)
    expected = _draw_many_masks(image, masks, [0, 1], instance_colors(instances, style), style)
    assert np.array_equal(draw_masks(image, instances, style, masks), expected)


def test_skeleton_edge_past_keypoint_count_ignored():
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    instance = keypoint_instance([[20, 50, Visibility.VISIBLE], [80, 50, Visibility.VISIBLE]], ((0, 1), (1, 5)))
    out = draw_keypoints(image, [instance], ONLY_KEYPOINTS)
    assert out[50, 50].any()
    shorter = keypoint_instance([[20, 50, Visibility.VISIBLE]], ((0, 1),))
    shorter.keypoint_schema = instance.keypoint_schema
    assert not draw_keypoints(image, [shorter], ONLY_KEYPOINTS)[50, 50].any()
