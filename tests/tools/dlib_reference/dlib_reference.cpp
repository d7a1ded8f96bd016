// Reference landmarks from dlib itself, for the C# shape predictor's tests (run once; its output is committed as
// tests/fixtures/faces/dlib_reference.json). Reads binary PPM (P6) images so that no image codec is involved.
//
// usage: dlib_reference MODEL.dat IMAGE.ppm[:l,t,r,b[;l,t,r,b...]] ...
// For every image: dlib's HOG frontal face detector boxes (with scores), and the 68 landmarks dlib's shape predictor
// gives for each HOG box and for each extra box listed after the colon (dlib rectangles: right/bottom inclusive).
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace dlib;

static void load_ppm(const std::string& path, array2d<rgb_pixel>& img)
{
    std::ifstream in(path, std::ios::binary);
    std::string magic;
    long w, h, maxval;
    in >> magic >> w >> h >> maxval;
    if (!in || magic != "P6" || maxval != 255) throw std::runtime_error("not a binary 8-bit PPM: " + path);
    in.get();
    img.set_size(h, w);
    std::vector<unsigned char> row(w * 3);
    for (long y = 0; y < h; ++y)
    {
        in.read(reinterpret_cast<char*>(row.data()), row.size());
        for (long x = 0; x < w; ++x) img[y][x] = rgb_pixel(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
    }
    if (!in) throw std::runtime_error("truncated PPM: " + path);
}

static void print_shape(const full_object_detection& s)
{
    const rectangle& r = s.get_rect();
    std::printf("\"box\": [%ld, %ld, %ld, %ld], \"landmarks\": [", r.left(), r.top(), r.right(), r.bottom());
    for (unsigned long i = 0; i < s.num_parts(); ++i)
        std::printf("%s[%ld, %ld]", i ? ", " : "", s.part(i).x(), s.part(i).y());
    std::printf("]");
}

int main(int argc, char** argv)
{
    if (argc < 3) { std::fprintf(stderr, "usage: %s MODEL.dat IMAGE.ppm[:l,t,r,b[;...]] ...\n", argv[0]); return 2; }
    shape_predictor sp;
    deserialize(argv[1]) >> sp;
    frontal_face_detector detector = get_frontal_face_detector();
    std::printf("{\"images\": [\n");
    for (int a = 2; a < argc; ++a)
    {
        std::string arg = argv[a], path = arg, boxes;
        auto colon = arg.find(':');
        if (colon != std::string::npos) { path = arg.substr(0, colon); boxes = arg.substr(colon + 1); }
        array2d<rgb_pixel> img;
        load_ppm(path, img);
        std::vector<std::pair<double, rectangle>> dets;
        std::vector<rect_detection> found;
        detector(img, found, 0.0);
        std::string name = path.substr(path.find_last_of('/') + 1);
        std::printf("%s{\"image\": \"%s\", \"width\": %ld, \"height\": %ld, \"hog\": [", a > 2 ? ",\n" : "", name.c_str(), img.nc(), img.nr());
        for (size_t i = 0; i < found.size(); ++i)
        {
            std::printf("%s{\"score\": %.6f, ", i ? ", " : "", found[i].detection_confidence);
            print_shape(sp(img, found[i].rect));
            std::printf("}");
        }
        std::printf("], \"given\": [");
        std::stringstream ss(boxes);
        std::string one;
        bool first = true;
        while (std::getline(ss, one, ';'))
        {
            if (one.empty()) continue;
            long l, t, r, b;
            if (std::sscanf(one.c_str(), "%ld,%ld,%ld,%ld", &l, &t, &r, &b) != 4) throw std::runtime_error("bad box: " + one);
            std::printf("%s{", first ? "" : ", ");
            first = false;
            print_shape(sp(img, rectangle(l, t, r, b)));
            std::printf("}");
        }
        std::printf("]}");
    }
    std::printf("\n]}\n");
    return 0;
}
