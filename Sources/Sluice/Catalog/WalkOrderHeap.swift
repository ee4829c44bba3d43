/// The directories waiting to be read ahead of the walk, earliest in walk order first
/// (`DirectoryNode.precedes`), so the threads reading ahead always take the directory the walk
/// will need soonest among those not read yet. A binary heap that keeps each node's slot in
/// `heapIndex`, so the walk can take out the one it needs now in O(log n).
struct WalkOrderHeap {
    private var nodes: [DirectoryNode] = []

    /// No directory is waiting.
    var isEmpty: Bool { nodes.isEmpty }
    /// How many are waiting.
    var count: Int { nodes.count }

    /// Adds `node`.
    mutating func insert(_ node: DirectoryNode) {
        node.heapIndex = nodes.count
        nodes.append(node)
        siftUp(nodes.count - 1)
    }

    /// Takes out the earliest node in walk order.
    mutating func popFirst() -> DirectoryNode {
        let first = nodes[0]
        remove(at: 0)
        return first
    }

    /// Takes out `node`, which is in the heap.
    mutating func remove(_ node: DirectoryNode) {
        precondition(node.heapIndex >= 0 && node.heapIndex < nodes.count && nodes[node.heapIndex] === node, "not in the heap")
        remove(at: node.heapIndex)
    }

    private mutating func remove(at index: Int) {
        let removed = nodes[index]
        let last = nodes.removeLast()
        removed.heapIndex = -1
        guard index < nodes.count else { return }
        nodes[index] = last
        last.heapIndex = index
        siftDown(index)
        siftUp(last.heapIndex)
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        while index > 0 {
            let parent = (index - 1) / 2
            guard nodes[index].precedes(nodes[parent]) else { return }
            swapAt(index, parent)
            index = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        while true {
            var earliest = index
            let left = 2 * index + 1
            if left < nodes.count && nodes[left].precedes(nodes[earliest]) { earliest = left }
            if left + 1 < nodes.count && nodes[left + 1].precedes(nodes[earliest]) { earliest = left + 1 }
            guard earliest != index else { return }
            swapAt(index, earliest)
            index = earliest
        }
    }

    private mutating func swapAt(_ first: Int, _ second: Int) {
        nodes.swapAt(first, second)
        nodes[first].heapIndex = first
        nodes[second].heapIndex = second
    }
}
