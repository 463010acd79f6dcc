// Work accounting for the render running on this thread. Everything that can
// do a lot of work for one template step (comparing or printing big values,
// searching long strings) charges it, so a hostile template hits a clean
// LimitError instead of hanging or exhausting memory. Outside a render there
// is no budget and charging is free.
#pragma once
#include <cstddef>
#include <cstdint>

namespace glint::chat {

struct WorkBudget {
    uint64_t used = 0;
    uint64_t limit = UINT64_MAX;       // work units (nodes, elements, bytes/16)
    std::size_t max_bytes = SIZE_MAX;  // largest string any operation may build
};

// Installs `b` as this thread's budget for the scope's lifetime.
class BudgetScope {
public:
    explicit BudgetScope(WorkBudget* b);
    ~BudgetScope();
    BudgetScope(const BudgetScope&) = delete;
    BudgetScope& operator=(const BudgetScope&) = delete;

private:
    WorkBudget* prev_;
};

void charge_work(uint64_t units);  // raises LimitError when the budget is spent
void check_bytes(std::size_t n);   // raises LimitError when n exceeds max_bytes

}  // namespace glint::chat
