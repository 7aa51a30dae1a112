// A C++ exception nobody catches, thrown from a worker thread through inlined and templated
// frames: std::terminate ends in abort (SIGABRT). Other threads wait on a condition variable.
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace shop {
std::mutex lock;
std::condition_variable never;

struct Order {
    std::string sku;
    int quantity;
};

template <typename T> inline T checked(T value, T limit)
{
    if (value > limit) throw std::out_of_range("quantity " + std::to_string(value));
    return value;
}

__attribute__((noinline)) int total(const std::vector<Order> &orders)
{
    int sum = 0;
    for (const Order &o : orders)
        sum += checked(o.quantity, 10);
    return sum;
}

__attribute__((noinline)) void idle()
{
    std::unique_lock<std::mutex> guard(lock);
    never.wait(guard, [] { return false; });
}
} // namespace shop

int main()
{
    std::thread a(shop::idle), b(shop::idle);
    std::thread worker([] {
        std::vector<shop::Order> orders{{"a-1", 2}, {"b-2", 42}};
        shop::total(orders);
    });
    worker.join();
    a.join();
    b.join();
    return 0;
}
