"""DeepFashion benchmarks on the real sample files and on the demo data."""

import math
from pathlib import Path

import numpy as np
from PIL import Image

from loaders.deepfashion import detect_benchmarks
from loaders.deepfashion_benchmarks import open_benchmark
from loaders.model import Visibility

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo" / "deepfashion"
FULL_BODY = ("left collar", "right collar", "left sleeve", "right sleeve", "left waistline", "right waistline",
             "left hem", "right hem")
UPPER_BODY = ("left collar", "right collar", "left sleeve", "right sleeve", "left hem", "right hem")


def only_benchmark(root, key):
    found = detect_benchmarks(root)
    assert list(found) == [key]
    return open_benchmark(found[key])


def test_real_fld_records(realdata):
    dataset = only_benchmark(realdata / "deepfashion", "landmark_detection")
    assert dataset.splits() == ["test", "all"]
    assert dataset.sample_ids("test") == ["img/img_00000128.jpg", "img/img_00000132.jpg"]
    sample = dataset.load_sample("img/img_00000132.jpg")
    assert sample.problems == []
    assert sample.split == "test"
    assert sample.image.path.is_file()
    garment = sample.instances[0]
    assert garment.keypoint_schema.keypoint_names == FULL_BODY
    assert garment.bbox.tolist() == [1, 1, 200, 250]
    assert garment.fields["variation_type"] == "1 normal pose"
    # The left hem is written 2 000 000: truncated, with no position.
    assert garment.keypoints[6, 2] == Visibility.TRUNCATED
    assert math.isnan(garment.keypoints[6, 0])
    assert garment.keypoints[7].tolist() == [172, 235, Visibility.VISIBLE]


def test_real_fld_occluded_collars(realdata):
    dataset = only_benchmark(realdata / "deepfashion", "landmark_detection")
    garment = dataset.load_sample("img/img_00000128.jpg").instances[0]
    codes = garment.keypoints[:, 2]
    assert int((codes == Visibility.OCCLUDED).sum()) == 5
    assert codes[0] == Visibility.OCCLUDED
    assert codes[1] == Visibility.OCCLUDED
    assert garment.keypoints[0, :2].tolist() == [108, 33]
    assert garment.bbox.tolist() == [88, 21, 136, 163]


def test_real_upper_body_list(realdata):
    dataset = only_benchmark(realdata / "deepfashion-upperbody", "category_attribute")
    ids = dataset.sample_ids("all")
    assert len(ids) == 20
    truncated_images = 0
    truncated_points = 0
    for sample_id in ids:
        sample = dataset.load_sample(sample_id)
        assert sample.problems == [], sample_id
        assert sample.image.path.is_file(), sample_id
        garment = sample.instances[0]
        assert garment.keypoint_schema.keypoint_names == UPPER_BODY
        assert "variation_type" not in garment.fields
        truncated = garment.keypoints[:, 2] == Visibility.TRUNCATED
        assert np.isnan(garment.keypoints[truncated, :2]).all()
        truncated_points += int(truncated.sum())
        truncated_images += int(truncated.any())
    assert (truncated_points, truncated_images) == (8, 5)


def test_real_upper_body_overflowing_name(realdata):
    dataset = only_benchmark(realdata / "deepfashion-upperbody", "category_attribute")
    name = "img/17nj4y0_1hvx2y_ie2taojymmzdan3dgazdambqhayde_800x1200.jpg_468x468.jpg"
    garment = dataset.load_sample(name).instances[0]
    assert garment.keypoints[:, :2].tolist() == [[70, 19], [144, 13], [41, 112], [194, 93], [51, 198], [174, 203]]
    assert garment.keypoints[4:, 2].tolist() == [Visibility.OCCLUDED, Visibility.OCCLUDED]


def test_real_back_view_keeps_file_order(realdata):
    dataset = only_benchmark(realdata / "deepfashion-upperbody", "category_attribute")
    points = dataset.load_sample("img/566_Basic_Heathered_Tee_63.jpg").instances[0].keypoints
    # Seen from the back: the "left" collar lies right of the "right" collar, and is kept as written.
    assert points[0, 0] > points[1, 0]


def test_demo_has_five_benchmarks():
    assert list(detect_benchmarks(DEMO)) == ["category_attribute", "fine", "inshop", "consumer2shop",
                                             "landmark_detection"]


def demo(key):
    return open_benchmark(detect_benchmarks(DEMO)[key])


def test_demo_attributes_grouped_by_type():
    dataset = demo("category_attribute")
    sample = dataset.load_sample("img/Striped_Boxy_Tee/img_00000001.jpg")
    garment = sample.instances[0]
    assert garment.category_name == "Tee"
    assert garment.category_id == 18
    assert len(garment.attribute_ids) == 3
    assert sorted(sum(sample.labels.values(), [])) == sorted(garment.attributes)
    assert set(sample.labels) <= {"texture", "fabric", "shape", "part", "style"}


def test_demo_attribute_filter_matches_rows():
    dataset = demo("category_attribute")
    names, indptr, indices = dataset.positives()
    assert len(names) == 12
    for row, name in enumerate(names):
        from_row = dataset.load_sample(name).instances[0].attribute_ids
        assert indices[indptr[row]:indptr[row + 1]].tolist() == from_row, name
    first = int(indices[0])
    matching = dataset.sample_ids("all", {"attribute": [first]})
    assert names[0] in matching
    assert all(first in dataset.load_sample(name).instances[0].attribute_ids for name in matching)


def test_demo_category_filter():
    dataset = demo("category_attribute")
    assert dataset.sample_ids("all", {"category": [26]}) == ["img/Classic_Skinny_Jeans/img_00000005.jpg",
                                                             "img/Classic_Skinny_Jeans/img_00000006.jpg"]


def test_demo_truncated_point_and_long_name():
    dataset = demo("category_attribute")
    name = "img/Abstract_Chevron_Print_Pleated_Chiffon_Maxi_Dress_With_Belt/img_00000010.jpg"
    assert len(name) > 71
    garment = dataset.load_sample(name).instances[0]
    assert garment.keypoints[6, 2] == Visibility.TRUNCATED
    assert math.isnan(garment.keypoints[6, 0])


def test_demo_fine_subset_types():
    dataset = demo("fine")
    assert len(dataset.attribute_names) == 26
    sample = dataset.load_sample(dataset.sample_ids("train")[0])
    assert list(sample.labels) == ["texture", "sleeve", "length", "neckline", "fabric", "fit"]
    garment = sample.instances[0]
    assert len(garment.keypoints) == len(garment.keypoint_schema.keypoint_names)


def test_demo_inshop_item_images():
    dataset = demo("inshop")
    assert dataset.sample_ids("query") == ["id_00000008", "id_00000015"]
    sample = dataset.load_sample("id_00000008")
    related = dataset.related(sample)
    assert sample.split == "query"
    assert [other.split for other in related] == ["gallery", "gallery", "gallery"]
    assert [other.instances[0].fields["pose_type"] for other in related] == ["2 side", "3 back", "4 zoom-out"]


def test_demo_inshop_high_resolution_scaling():
    dataset = demo("inshop")
    assert dataset.has_high_resolution
    low = dataset.load_sample("id_00000002")
    high = dataset.load_sample("id_00000002", high_resolution=True)
    assert "img_highres" in str(high.image.path)
    with Image.open(high.image.path) as image:
        width, height = image.size
    assert (width, height) == (375, 551)
    scale = 256 / 551
    pad_x = (256 - 375 * scale) / 2
    expected = (low.instances[0].bbox - [pad_x, 0, pad_x, 0]) / scale
    assert np.allclose(high.instances[0].bbox, expected)
    # The scaled box lies inside the high-resolution image.
    assert high.instances[0].bbox[2] <= width + 2
    assert high.instances[0].bbox[3] <= height + 2


def test_demo_consumer_to_shop_pairs():
    dataset = demo("consumer2shop")
    ids = dataset.sample_ids("train")
    assert ids == ["img/CLOTHING/Blouse/id_00000001/comsumer_01.jpg", "img/CLOTHING/Blouse/id_00000001/comsumer_02.jpg"]
    sample = dataset.load_sample(ids[0])
    assert sample.instances[0].fields["source_type"] == "2 consumer"
    shops = dataset.related(sample)
    assert [shop.id for shop in shops] == ["img/CLOTHING/Blouse/id_00000001/shop_01.jpg"]
    assert shops[0].instances[0].fields["source_type"] == "1 shop"
    assert shops[0].image.path.is_file()
    val = dataset.load_sample(dataset.sample_ids("val")[0])
    assert len(dataset.related(val)) == 2


def test_demo_landmark_detection_joints():
    dataset = demo("landmark_detection")
    sample = dataset.load_sample("img/img_00000003.jpg")
    garment, joints = sample.instances
    assert joints.keypoints.shape == (14, 3)
    assert joints.keypoint_schema.keypoint_names[0] == "joint 1"
    assert set(joints.keypoints[:, 2].tolist()) <= {Visibility.VISIBLE, Visibility.OCCLUDED}
    assert garment.keypoints[7, 2] == Visibility.TRUNCATED
    assert dataset.sample_ids("all", {"clothes type": [2]}) == ["img/img_00000002.jpg", "img/img_00000005.jpg"]
    variations = {name: dataset.load_sample(name).instances[0].fields["variation_type"]
                  for name in dataset.sample_ids("all", {"variation type": [4]})}
    assert variations and set(variations.values()) == {"4 medium zoom-in"}


def test_demo_generation_is_deterministic(tmp_path):
    from assets.demo_gen import deepfashion

    deepfashion.generate(tmp_path)
    written = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    committed = sorted(path.relative_to(DEMO) for path in DEMO.rglob("*") if path.is_file())
    assert written == committed
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (DEMO / relative).read_bytes(), relative


def test_attribute_rows_with_problems(tmp_path):
    anno = tmp_path / "Anno"
    anno.mkdir()
    pad = " " * 40
    (anno / "list_category_img.txt").write_text(
        f"3\nimage_name  category_label\nimg/a.jpg{pad}3\nimg/b.jpg{pad}99\nimg/c.jpg{pad}18\n")
    (anno / "list_attr_cloth.txt").write_text(
        "3\nattribute_name  attribute_type\nabstract chevron print  1\nlace  2\nboxy fit  3\n")
    (anno / "list_attr_img.txt").write_text(
        f"2\nimage_name  attribute_labels\nimg/a.jpg{pad}1 -1  1\nimg/b.jpg{pad}-1  1\n")
    dataset = only_benchmark(tmp_path, "category_attribute")
    sample = dataset.load_sample("img/a.jpg")
    assert sample.problems == []
    assert sample.labels == {"texture": ["abstract chevron print"], "shape": ["boxy fit"]}
    assert sample.instances[0].category_name == "Blouse"
    sample = dataset.load_sample("img/b.jpg")
    messages = [problem.message for problem in sample.problems]
    assert "category 99 is not among the category ids 1 to 50." in messages
    assert "2 labels, but list_attr_cloth.txt names 3 attributes." in messages
    sample = dataset.load_sample("img/c.jpg")
    assert [problem.message for problem in sample.problems] == ["the image has no row in this file."]
    assert dataset.sample_ids("all", {"attribute": [0]}) == ["img/a.jpg"]
    short_rows = [problem for problem in dataset.problems if "does not have 3 labels" in problem.message]
    assert [problem.record for problem in short_rows] == ["img/b.jpg"]


def copy_benchmark(tmp_path, name):
    import shutil

    target = tmp_path / name
    shutil.copytree(DEMO / name, target)
    return target


def test_inshop_without_partition(tmp_path):
    root = copy_benchmark(tmp_path, "In-shop Clothes Retrieval Benchmark")
    (root / "Eval" / "list_eval_partition.txt").unlink()
    dataset = only_benchmark(root, "inshop")
    assert dataset.splits() == ["all"]
    assert dataset.sample_ids("all") == ["id_00000002", "id_00000008", "id_00000015"]
    sample = dataset.load_sample("id_00000008")
    assert len(dataset.related(sample)) == 3
    assert "file not found" in dataset.problems[0].message


def test_consumer_to_shop_without_partition(tmp_path):
    root = copy_benchmark(tmp_path, "Consumer-to-shop Clothes Retrieval Benchmark")
    (root / "Eval" / "list_eval_partition.txt").unlink()
    dataset = only_benchmark(root, "consumer2shop")
    ids = dataset.sample_ids("all")
    assert len(ids) == 5
    assert all("/comsumer_" in name for name in ids)
    sample = dataset.load_sample("img/CLOTHING/Skirt/id_00000004/comsumer_01.jpg")
    assert [shop.id for shop in dataset.related(sample)] == ["img/CLOTHING/Skirt/id_00000004/shop_01.jpg",
                                                             "img/CLOTHING/Skirt/id_00000004/shop_02.jpg"]


def test_high_resolution_box_fits_garment_pixels():
    from loaders.images import read_image

    dataset = demo("inshop")
    for high_resolution in (False, True):
        sample = dataset.load_sample("id_00000002", high_resolution=high_resolution)
        pixels = read_image(sample.image).pixels.astype(int)
        x1, y1, x2, y2 = sample.instances[0].bbox
        # Near its hem the demo dress is as wide as its box and plain, so outside the box is background.
        row = int(y2 - 0.05 * (y2 - y1))
        inside = pixels[row, int((x1 + x2) / 2)]
        outside_left = pixels[row, max(int(x1) - 4, 0)]
        outside_right = pixels[row, min(int(x2) + 4, pixels.shape[1] - 1)]
        just_inside = pixels[row, int(x1 + 0.1 * (x2 - x1))]
        assert np.abs(inside - outside_left).sum() > 60, high_resolution
        assert np.abs(inside - outside_right).sum() > 60, high_resolution
        assert np.abs(inside - just_inside).sum() < 60, high_resolution
