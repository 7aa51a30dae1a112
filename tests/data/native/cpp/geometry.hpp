// Shapes and a small fixed-size matrix template for the C++ test program.
#ifndef NATIVE_GEOMETRY_HPP
#define NATIVE_GEOMETRY_HPP

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace geo {

struct Point {
    double x = 0, y = 0;
    Point operator+(const Point &o) const { return {x + o.x, y + o.y}; }
    Point operator*(double k) const { return {x * k, y * k}; }
};

class Shape {
public:
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual std::string name() const = 0;
    Point centre() const { return origin_; }
    void move(const Point &by) { origin_ = origin_ + by; }

protected:
    explicit Shape(Point origin) : origin_(origin) {}

private:
    Point origin_;
};

class Circle : public Shape {
public:
    Circle(Point c, double r) : Shape(c), radius_(r) {}
    double area() const override;
    std::string name() const override { return "circle"; }

private:
    double radius_;
};

class Polygon : public Shape {
public:
    explicit Polygon(std::vector<Point> points);
    double area() const override;
    std::string name() const override;

private:
    std::vector<Point> points_;
};

template <typename T, std::size_t N>
class Matrix {
public:
    Matrix() { data_.fill(T{}); }
    static Matrix identity()
    {
        Matrix m;
        for (std::size_t i = 0; i < N; i++)
            m.at(i, i) = T{1};
        return m;
    }
    T &at(std::size_t r, std::size_t c) { return data_[r * N + c]; }
    const T &at(std::size_t r, std::size_t c) const { return data_[r * N + c]; }
    Matrix operator*(const Matrix &o) const
    {
        Matrix out;
        for (std::size_t r = 0; r < N; r++)
            for (std::size_t c = 0; c < N; c++) {
                T sum{};
                for (std::size_t k = 0; k < N; k++)
                    sum += at(r, k) * o.at(k, c);
                out.at(r, c) = sum;
            }
        return out;
    }
    T trace() const
    {
        T sum{};
        for (std::size_t i = 0; i < N; i++)
            sum += at(i, i);
        return sum;
    }

private:
    std::array<T, N * N> data_;
};

std::vector<std::unique_ptr<Shape>> make_shapes(unsigned seed, std::size_t count);
double total_area(const std::vector<std::unique_ptr<Shape>> &shapes);

} // namespace geo

#endif
