"""Peak memory of one upload through the layer, in a fresh process: `python -m tests.hostile.memory_probe CASE`
prints the peak RSS (ru_maxrss, MB) before and after. Used by test_upload_memory.py and for the README figure."""
import io
import os
import resource
import sys


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make(case):
    from PIL import Image

    from tests.hostile.files import good_jpeg, png_bomb

    if case == "bomb20000":
        return "bomb.png", png_bomb(20000, 20000), "photo"
    if case == "bomb13000":
        return "bomb.png", png_bomb(13000, 13000), "document"
    if case == "png_40mp_rgba":  # the largest PNG the budget lets through, decoded in full
        out = io.BytesIO()
        Image.new("RGBA", (6320, 6320), (10, 200, 30, 128)).save(out, "PNG")
        return "big.png", out.getvalue(), "receipt"
    if case == "jpeg_40mp":  # a 40 MP phone JPEG (decoded with draft at 1/4 scale)
        return "big.jpg", good_jpeg((7300, 5470)), "photo"
    if case == "heic_40mp":
        import pillow_heif

        pillow_heif.register_heif_opener()
        out = io.BytesIO()
        Image.new("RGB", (7300, 5470), (120, 40, 160)).save(out, "HEIF", quality=30)
        return "big.heic", out.getvalue(), "document"
    raise SystemExit(f"unknown case {case}")


def main(case):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kongchuo.settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kongchuo import uploads

    import pathlib
    import subprocess

    cache = pathlib.Path(os.environ.get("KC_PROBE_DIR", "/tmp/kc_upload_probe"))
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / case
    if not target.exists():  # build the file in another process: its memory must not count here
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {os.getcwd()!r}); "
                        "from tests.hostile.memory_probe import make; import pathlib, pickle; "
                        f"pathlib.Path({str(target)!r}).write_bytes(pickle.dumps(make({case!r})))"], check=True)
    import pickle

    name, data, purpose = pickle.loads(target.read_bytes())
    before = peak_mb()
    try:
        verified = uploads.verify(SimpleUploadedFile(name, data), purpose=purpose, label="照片")
        outcome = f"accepted {verified.kind} {verified.width}x{verified.height}"
    except uploads.UploadRefused as exc:
        outcome = "refused: " + exc.message
    print(f"{case}\tbefore={before:.0f}MB\tpeak={peak_mb():.0f}MB\t{outcome}")


if __name__ == "__main__":
    main(sys.argv[1])
