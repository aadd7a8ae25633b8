"""Fashion-MNIST IDX reading and checks on the real files, and on broken files."""

import gzip
import shutil

import numpy as np
import pytest

from loaders.fashion_mnist import IMAGES_MAGIC, LABELS_MAGIC, FashionMnistDataset, IdxError, read_idx


@pytest.fixture
def real_folder(realdata):
    return realdata / "fashion-mnist" / "data" / "fashion"


def test_real_label_files_balanced(real_folder):
    train = read_idx(real_folder / "train-labels-idx1-ubyte.gz", LABELS_MAGIC)
    test = read_idx(real_folder / "t10k-labels-idx1-ubyte.gz", LABELS_MAGIC)
    assert train.shape == (60000,)
    assert np.bincount(train).tolist() == [6000] * 10
    assert np.bincount(test).tolist() == [1000] * 10


def test_real_root_splits_and_missing_images(realdata):
    dataset = FashionMnistDataset(realdata / "fashion-mnist")
    assert dataset.splits() == ["sprite"]
    messages = sorted(problem.message for problem in dataset.problems)
    assert messages == ["labels file without its images file t10k-images-idx3-ubyte.gz.",
                        "labels file without its images file train-images-idx3-ubyte.gz."]


def test_real_sprite_pair(realdata):
    dataset = FashionMnistDataset(realdata / "fashion-mnist")
    data = dataset.read_split("sprite")
    assert data.problems == []
    assert data.images.shape == (900, 28, 28)
    assert np.bincount(data.labels).tolist() == [90] * 10
    # Sprite sample 590 is a Shirt with a dark grey (20) rectangle behind it.
    assert data.labels[590] == 6
    assert np.bincount(data.images[590].ravel()).argmax() == 20
    sample = dataset.sample(data, 95)
    assert sample.labels == {"class": ["1 Trouser"]}


def write_pair(folder, prefix, images, labels):
    folder.mkdir(parents=True, exist_ok=True)
    image_bytes = (IMAGES_MAGIC.to_bytes(4, "big") + len(images).to_bytes(4, "big") + (28).to_bytes(4, "big")
                   + (28).to_bytes(4, "big") + images.astype(np.uint8).tobytes())
    label_bytes = LABELS_MAGIC.to_bytes(4, "big") + len(labels).to_bytes(4, "big") + labels.astype(np.uint8).tobytes()
    with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as handle:
        handle.write(image_bytes)
    with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(label_bytes)


def test_wrong_magic_named(tmp_path, real_folder):
    shutil.copy(real_folder / "train-labels-idx1-ubyte.gz", tmp_path / "x-images-idx3-ubyte.gz")
    with pytest.raises(IdxError, match=r"magic number 2049 \(0x00000801\), expected 2051"):
        read_idx(tmp_path / "x-images-idx3-ubyte.gz", IMAGES_MAGIC)


def test_gzip_read_as_raw_named(tmp_path, real_folder):
    raw_name = tmp_path / "train-labels-idx1-ubyte"
    shutil.copy(real_folder / "train-labels-idx1-ubyte.gz", raw_name)
    with pytest.raises(IdxError, match="this is a gzip file read as raw IDX"):
        read_idx(raw_name, LABELS_MAGIC)


def test_truncated_file_named(tmp_path):
    write_pair(tmp_path, "small", np.zeros((4, 28, 28)), np.arange(4))
    path = tmp_path / "small-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())[:-100]
    path.write_bytes(gzip.compress(data))
    dataset = FashionMnistDataset(tmp_path)
    split = dataset.read_split("small")
    assert not split.usable
    assert "truncated or has extra bytes" in split.problems[0].message
    assert split.problems[0].file.endswith("small-images-idx3-ubyte.gz")


def test_official_name_with_wrong_balance_warned(tmp_path):
    write_pair(tmp_path, "t10k", np.zeros((20, 28, 28)), np.arange(20) % 10)
    data = FashionMnistDataset(tmp_path).read_split("t10k")
    messages = [problem.message for problem in data.problems]
    assert "class counts [2, 2, 2, 2, 2, 2, 2, 2, 2, 2] do not match the published 1000 per class." in messages
    assert "md5 differs from the published value." in messages
    assert data.usable


def test_user_subset_not_checked_for_balance(tmp_path):
    write_pair(tmp_path, "mine", np.zeros((3, 28, 28)), np.array([1, 1, 2]))
    dataset = FashionMnistDataset(tmp_path)
    assert dataset.splits() == ["mine"]
    assert dataset.read_split("mine").problems == []


def test_demo_data_reads():
    from loaders.roots import DEMO_DIR

    dataset = FashionMnistDataset(DEMO_DIR / "fashion-mnist")
    data = dataset.read_split("demo")
    assert data.problems == []
    assert np.bincount(data.labels).tolist() == [60] * 10
    # Garment drawings: bright on a black background, not noise.
    assert data.images[:, 0, :].mean() < 10
    assert data.images[:, 10:18, 10:18].mean() > 60


def test_duplicate_images_found():
    from loaders.fashion_mnist import duplicate_of

    images = np.zeros((4, 28, 28), dtype=np.uint8)
    images[1, 0, 0] = 1
    images[3, 0, 0] = 1
    assert duplicate_of(images) == {2: 0, 3: 1}


def test_duplicate_check_on_demo_data():
    from loaders.fashion_mnist import duplicate_check
    from loaders.qa import run_checks
    from loaders.roots import DEMO_DIR

    dataset = FashionMnistDataset(DEMO_DIR / "fashion-mnist")
    data = dataset.read_split("demo")
    report = run_checks((dataset.sample(data, index) for index in range(len(data.labels))), [duplicate_check(data)])
    (flag,) = report.flags
    assert flag.detail == "same pixels as image 0"
    assert data.labels[int(flag.sample_id)] == data.labels[0]
