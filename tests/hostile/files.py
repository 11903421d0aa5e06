"""The hostile upload corpus (and a few good files), generated in memory so the repository holds no binaries.

`HOSTILE` maps a case name to (file name, bytes factory); every upload point must refuse every one of them with a
Chinese message and store nothing. `HOSTILE_NAMES` are names that must be neutralised (stored under a random name,
shown as sanitised text). `good_*` build files phones really send.
"""
import io
import struct
import zlib

MB = 1024 * 1024


# ------------------------------------------------------------------------------------------- good files
def tiny_pdf(pages=1):
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def good_jpeg(size=(2000, 1500), orientation=None, color=(200, 60, 40)):
    """A phone-like JPEG; `orientation` sets the EXIF Orientation tag (6 = rotate 90° clockwise to view)."""
    from PIL import Image

    image = Image.new("RGB", size, color)
    image.paste((20, 20, 220), (0, 0, size[0] // 4, size[1] // 4))  # a blue corner to check the rotation
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    exif[0x0110] = "Phone"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


def good_png(size=(800, 600), mode="RGBA"):
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 30, 255) if mode == "RGBA" else (10, 120, 30)).save(out, "PNG")
    return out.getvalue()


def good_webp(size=(1200, 900)):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (90, 90, 200)).save(out, "WEBP", quality=80)
    return out.getvalue()


def good_heic(size=(1600, 1200)):
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", size, (120, 40, 160)).save(out, "HEIF", quality=60)
    return out.getvalue()


# ------------------------------------------------------------------------------------------- hostile files
def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width, height):
    """A valid 1-bit grey PNG of width×height, all zero: compresses ~1000:1 (20000×20000 → ~50 KB), built row by
    row with zlib so making it costs no memory."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed bits
    parts, batch = [], row * 256
    for _ in range(height // 256):
        parts.append(compressor.compress(batch))
    parts.append(compressor.compress(row * (height % 256)))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts))
            + _chunk(b"IEND", b""))


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(document.domain)</script></svg>")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200


def _truncated_png():
    data = good_png((400, 300), mode="RGB")
    return data[: len(data) // 2]


def _polyglot_png_html():
    """A valid PNG with an HTML page (and a zip) glued after IEND: decodes as a picture, sniffs as HTML elsewhere."""
    return good_png((64, 64), mode="RGB") + HTML + b"PK\x05\x06" + b"\x00" * 18


def _pdf_html_polyglot():
    """HTML first, a PDF inside: qpdf would find the %PDF header in the first KB; browsers see HTML."""
    return HTML + b"\n" + tiny_pdf()


HOSTILE = {
    "html": ("page.html", lambda: HTML),
    "svg_script": ("logo.svg", lambda: SVG),
    "svg_named_png": ("logo.png", lambda: SVG),
    "html_named_jpg": ("photo.jpg", lambda: HTML),
    "html_named_pdf": ("证明.pdf", lambda: HTML),
    "exe": ("setup.exe", lambda: EXE),
    "exe_named_jpg": ("photo.jpg", lambda: EXE),
    "jpeg_header_junk": ("photo.jpg", lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00garbage" * 500),
    "truncated_png": ("scan.png", _truncated_png),
    "png_bomb_13000": ("bomb13k.png", lambda: png_bomb(13000, 13000)),
    "png_bomb_20000": ("bomb20k.png", lambda: png_bomb(20000, 20000)),
    "big_25mb": ("big.jpg", lambda: b"\xff\xd8\xff\xe0" + b"\x00" * (25 * MB)),
    "empty": ("empty.jpg", lambda: b""),
    "pdf_not_pdf": ("申请.pdf", lambda: b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n"),
    "pdf_html_polyglot": ("申请.pdf", _pdf_html_polyglot),
    "polyglot_png_html": ("photo.png", _polyglot_png_html),
    "zip_named_jpg": ("photo.jpg", lambda: b"PK\x03\x04" + b"\x00" * 100),
    "name_traversal_html": ("../../../etc/passwd.jpg", lambda: HTML),
    "name_nul_exe": ("photo.jpg\x00.exe", lambda: EXE),
    "name_rtl_override": ("photo\u202egpj.exe", lambda: EXE),
    "name_300_chars": ("长" * 300 + ".jpg", lambda: HTML),
}

# Names that must not survive as paths or display tricks (paired with good content: the file is accepted).
HOSTILE_NAMES = {
    "traversal": "../../../../etc/cron.d/x.jpg",
    "windows_traversal": "..\\..\\windows\\win.ini.jpg",
    "nul": "a\x00b.jpg",
    "rtl_override": "invoice\u202egpj.jpg",
    "controls": "\x07\x1b[31m红\x01.jpg",
    "long_300": "照" * 300 + ".jpg",
    "dots": "....jpg",
}


def hostile_upload(key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, make = HOSTILE[key]
    return SimpleUploadedFile(name, make(), content_type="image/jpeg")
