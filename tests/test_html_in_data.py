"""Dataset text that looks like HTML or Markdown is shown literally, never interpreted."""

import json
import re

HOSTILE = "<img src=x onerror=alert(1)> <script>alert('x')</script> **bold** _it_"


def test_hostile_names_shown_literally(run_page, tmp_path):
    root = tmp_path / "<img src=x onerror=alert(1)> _folder_"
    (root / "train").mkdir(parents=True)
    document = {
        "images": [{"id": 1, "width": 60, "height": 40, "file_name": "1.jpg"}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 0, "attribute_ids": [3], "iscrowd": 0,
                         "segmentation": [[5, 5, 50, 5, 50, 30, 5, 30]], "bbox": [5, 5, 45, 25], "area": 1125}],
        "categories": [{"id": 0, "name": HOSTILE, "supercategory": "upperbody"}],
        "attributes": [{"id": 3, "name": HOSTILE + " attribute", "supercategory": "nickname"}],
    }
    (root / "instances_attributes_train2020.json").write_text(json.dumps(document))
    app = run_page("fashionpedia", {"fashionpedia": root})
    assert not app.exception

    tables = " ".join(frame.value.to_string() for frame in app.dataframe)
    assert "<img src=x onerror=alert(1)>" in tables
    rendered = [str(element.value) for element in (*app.markdown, *app.caption, *app.error, *app.warning, *app.info)]
    # Markdown and alert bodies carry the text only with every special character escaped.
    assert not any(re.search(r"(?<!\\)<(img|script)", text) for text in rendered)
    assert any(r"\<img src=x onerror=alert\(1\)\>" in text for text in rendered)
