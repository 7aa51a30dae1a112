// Virtual methods, a polygon area (shoelace), shape factories.
#include "geometry.hpp"

#include <cmath>
#include <numeric>

namespace geo {

double Circle::area() const
{
    return M_PI * radius_ * radius_;
}

Polygon::Polygon(std::vector<Point> points) : Shape(points.empty() ? Point{} : points[0]),
                                              points_(std::move(points))
{
}

double Polygon::area() const
{
    double twice = 0;
    for (std::size_t i = 0; i < points_.size(); i++) {
        const Point &a = points_[i];
        const Point &b = points_[(i + 1) % points_.size()];
        twice += a.x * b.y - b.x * a.y;
    }
    return std::fabs(twice) / 2;
}

std::string Polygon::name() const
{
    return "polygon/" + std::to_string(points_.size());
}

namespace {

unsigned next_random(unsigned &state)
{
    state = state * 1103515245u + 12345u;
    return (state >> 16) & 0x7fff;
}

} // namespace

std::vector<std::unique_ptr<Shape>> make_shapes(unsigned seed, std::size_t count)
{
    std::vector<std::unique_ptr<Shape>> shapes;
    for (std::size_t i = 0; i < count; i++) {
        Point p{double(next_random(seed) % 100), double(next_random(seed) % 100)};
        if (next_random(seed) % 2) {
            shapes.push_back(std::make_unique<Circle>(p, 1 + next_random(seed) % 10));
        } else {
            std::vector<Point> pts;
            for (unsigned k = 0, n = 3 + next_random(seed) % 5; k < n; k++)
                pts.push_back(p + Point{double(next_random(seed) % 20), double(next_random(seed) % 20)});
            shapes.push_back(std::make_unique<Polygon>(std::move(pts)));
        }
    }
    return shapes;
}

double total_area(const std::vector<std::unique_ptr<Shape>> &shapes)
{
    return std::accumulate(shapes.begin(), shapes.end(), 0.0,
                           [](double acc, const std::unique_ptr<Shape> &s) { return acc + s->area(); });
}

} // namespace geo
