#!/usr/bin/python3
"""Write the photographs of the parity tests, and an index of them, into a folder.

    /usr/bin/python3 integration-tests/python/make_photos.py --out integration-tests/target/photos

Real photographs come from Debian's python3-skimage (its data/ folder), copied as they are. The
variants real traffic has and those lack are made from them with PIL: every EXIF orientation
(JPEG, and PNG's eXIf), a large phone-sized JPEG, tiny and tall images, grey JPEG, palette PNG with
transparency, RGBA and grey+alpha PNG, 16-bit grey PNG and a CMYK JPEG.

index.json lists each file with how its reference is made ("pil": PIL and torchvision as they
are; "high-byte": 16-bit samples reduced to their high byte, what imagerec does where PIL clips).
"""
import argparse
import json
import os
import shutil

import numpy as np
import skimage
from PIL import Image

SKIMAGE_PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
                  "hubble_deep_field.jpg", "camera.png", "coins.png", "page.png", "logo.png"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    data = os.path.join(os.path.dirname(skimage.__file__), "data")
    index = []

    def add(name, reference="pil"):
        index.append({"file": name, "format": "jpeg" if name.endswith(".jpg") else "png", "reference": reference})

    for name in SKIMAGE_PHOTOS:
        source = os.path.join(data, name)
        if os.path.exists(source):
            shutil.copyfile(source, os.path.join(args.out, name))
            add(name)
    cat = Image.open(os.path.join(data, "chelsea.png")).convert("RGB")  # 451x300: orientation shows
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        cat.save(os.path.join(args.out, f"exif-{orientation}.jpg"), quality=92, exif=exif.tobytes())
        add(f"exif-{orientation}.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6
    cat.save(os.path.join(args.out, "exif-6.png"), exif=exif.tobytes())
    add("exif-6.png")

    astronaut = Image.open(os.path.join(data, "astronaut.png")).convert("RGB")
    astronaut.resize((4000, 3000), Image.BICUBIC).save(os.path.join(args.out, "large-4000x3000.jpg"), quality=90)
    add("large-4000x3000.jpg")
    astronaut.resize((1280, 960), Image.BICUBIC).save(os.path.join(args.out, "photo-1280x960.jpg"), quality=90)
    add("photo-1280x960.jpg")
    astronaut.resize((7, 5), Image.BILINEAR).save(os.path.join(args.out, "tiny-7x5.png"))
    add("tiny-7x5.png")
    astronaut.resize((180, 900), Image.BILINEAR).save(os.path.join(args.out, "tall-180x900.png"))
    add("tall-180x900.png")
    astronaut.convert("L").save(os.path.join(args.out, "grey.jpg"), quality=90)
    add("grey.jpg")
    palette = astronaut.convert("P", palette=Image.ADAPTIVE, colors=64)
    palette.save(os.path.join(args.out, "palette-transparent.png"), transparency=0)
    add("palette-transparent.png")
    rgba = astronaut.copy()
    rgba.putalpha(Image.linear_gradient("L").resize(astronaut.size))
    rgba.save(os.path.join(args.out, "rgba.png"))
    add("rgba.png")
    la = astronaut.convert("L")
    la.putalpha(Image.linear_gradient("L").resize(astronaut.size))
    la.save(os.path.join(args.out, "grey-alpha.png"))
    add("grey-alpha.png")
    grey = np.asarray(astronaut.convert("L"), dtype=np.uint16)
    noise = np.random.default_rng(0).integers(0, 256, grey.shape, dtype=np.uint16)
    Image.fromarray(grey * 256 + noise).save(os.path.join(args.out, "grey16.png"))  # saved as 16-bit grey
    add("grey16.png", "high-byte")
    astronaut.convert("CMYK").save(os.path.join(args.out, "cmyk.jpg"), quality=92)
    add("cmyk.jpg")

    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    print(f"wrote {len(index)} images to {args.out}")


if __name__ == "__main__":
    main()
